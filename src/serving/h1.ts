/**
 * An incremental HTTP/1.x response parser for the ingress's upstream connections: status line,
 * headers (hop-by-hop ones dropped on the way, RFC 9110 7.6.1), and the body's framing
 * (Content-Length, chunked, or delimited by the connection's close), with 1xx interim responses
 * skipped. Bodies come out as views of the buffers fed in (no copy); chunked bodies come out decoded.
 */
import { HOP_BY_HOP } from './headers.ts';

/** Receives one response's parts, in order. */
export interface ResponseSink {
  /** `headers` is a flat [name, value, ...] list of the end-to-end headers, as received. */
  onHead(status: number, reason: string, headers: string[], contentLength: string | undefined): void;
  /**
   * `last`: the body ends with this chunk (Content-Length reached; onComplete follows at once).
   * `chunk` is valid during the call only (the connection's read buffer): keep a copy, if anything.
   */
  onBody(chunk: Buffer, last: boolean): void;
  onComplete(): void;
}

const MAX_HEAD = 80 * 1024;
const MAX_LINE = 4096;
const CRLFCRLF = Buffer.from('\r\n\r\n');

const enum S {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailer,
  UntilClose,
  Done,
}

export class ResponseParser {
  /** Set by the head: whether the connection can carry another request after this response. */
  keepAlive = false;
  /** Why parsing failed (the connection must be dropped). */
  error: string | undefined;
  private state = S.Done;
  private noBody = false;
  private remaining = 0;
  private head: Buffer | undefined;
  private line = '';
  /** True once a final (non-1xx) head was parsed. */
  started = false;

  constructor(public sink: ResponseSink) {}

  /** Prepares for the response to a new request (`noBody` for a HEAD request). */
  expect(noBody: boolean): void {
    this.state = S.Head;
    this.noBody = noBody;
    this.head = undefined;
    this.keepAlive = false;
    this.started = false;
    this.error = undefined;
  }

  get done(): boolean {
    return this.state === S.Done;
  }

  /** True while the body runs until the connection closes. */
  get untilClose(): boolean {
    return this.state === S.UntilClose;
  }

  /**
   * Feeds bytes; returns how many were used: less than `buf.length` when the response completed
   * before the end (extra bytes), -1 on a parse error (`error` says why).
   */
  execute(buf: Buffer): number {
    let i = 0;
    const n = buf.length;
    while (i < n) {
      switch (this.state) {
        case S.Head: {
          let src = buf;
          let from = i;
          if (this.head) {
            src = Buffer.concat([this.head, buf.subarray(i)]);
            from = 0;
          }
          const end = src.indexOf(CRLFCRLF, Math.max(from, 0));
          if (end < 0) {
            if (src.length - from > MAX_HEAD) return this.fail('response head too large');
            this.head = src === buf ? Buffer.from(buf.subarray(i)) : src;
            return n;
          }
          const prior = this.head ? this.head.length : 0;
          this.head = undefined;
          if (end - from > MAX_HEAD) return this.fail('response head too large');
          if (!this.parseHead(src.toString('latin1', from, end))) return -1;
          // Position in `buf` just after the head.
          i = end + 4 - (src === buf ? 0 : prior - i);
          break;
        }
        case S.Length: {
          const take = Math.min(this.remaining, n - i);
          this.remaining -= take;
          const chunk = i === 0 && take === n ? buf : buf.subarray(i, i + take);
          i += take;
          if (this.remaining === 0) this.state = S.Done;
          this.sink.onBody(chunk, this.remaining === 0);
          if (this.state === S.Done) {
            this.sink.onComplete();
            return i;
          }
          break;
        }
        case S.UntilClose:
          this.sink.onBody(i === 0 ? buf : buf.subarray(i), false);
          return n;
        case S.ChunkSize:
        case S.Trailer: {
          const nl = buf.indexOf(10, i);
          const stop = nl < 0 ? n : nl + 1;
          this.line += buf.toString('latin1', i, stop);
          i = stop;
          if (this.line.length > MAX_LINE) return this.fail('chunk line too long');
          if (nl < 0) break;
          const line = this.line.endsWith('\r\n') ? this.line.slice(0, -2) : this.line.slice(0, -1);
          this.line = '';
          if (this.state === S.Trailer) {
            if (line === '') {
              this.state = S.Done;
              this.sink.onComplete();
              return i;
            }
            break;
          }
          const semi = line.indexOf(';');
          const hex = (semi < 0 ? line : line.slice(0, semi)).trim();
          if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) return this.fail('bad chunk size');
          const size = parseInt(hex, 16);
          if (size === 0) this.state = S.Trailer;
          else {
            this.remaining = size;
            this.state = S.ChunkData;
          }
          break;
        }
        case S.ChunkData: {
          const take = Math.min(this.remaining, n - i);
          this.remaining -= take;
          const chunk = buf.subarray(i, i + take);
          i += take;
          if (this.remaining === 0) {
            this.state = S.ChunkDataEnd;
            this.remaining = 2;
          }
          this.sink.onBody(chunk, false);
          break;
        }
        case S.ChunkDataEnd: {
          const c = buf[i++];
          if (this.remaining === 2 && c === 13) this.remaining = 1;
          else if (c === 10) this.state = S.ChunkSize;
          else return this.fail('missing CRLF after chunk data');
          break;
        }
        case S.Done:
          return i;
      }
      if ((this.state as S) === S.Done) return i;
    }
    return n;
  }

  /** The connection closed: true when that completes the response (a body delimited by close). */
  eof(): boolean {
    if (this.state !== S.UntilClose) return false;
    this.state = S.Done;
    this.sink.onComplete();
    return true;
  }

  private fail(why: string): number {
    this.error = why;
    this.state = S.Done;
    return -1;
  }

  /** Parses a head (without its final CRLFCRLF); false on error. */
  private parseHead(text: string): boolean {
    const lines = text.split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0]!);
    if (!m) return this.fail('bad status line') < 0 && false;
    const minor = m[1];
    const status = Number(m[2]);
    if (status < 200) {
      // 1xx interim responses (100 Continue, 103 Early Hints) are skipped; 101 never expected here.
      if (status === 101) return this.fail('unexpected 101 response') < 0 && false;
      return true;
    }
    const list: string[] = [];
    let contentLength: string | undefined;
    let chunked = false;
    let hasTe = false;
    let conn: string | undefined;
    for (let k = 1; k < lines.length; k++) {
      const line = lines[k]!;
      const colon = line.indexOf(':');
      const c0 = line.charCodeAt(0);
      if (colon <= 0 || c0 === 32 || c0 === 9) return this.fail('bad header line') < 0 && false;
      const name = line.slice(0, colon);
      const value = trimOws(line, colon + 1);
      const lower = name.toLowerCase();
      if (HOP_BY_HOP.has(lower)) {
        if (lower === 'connection') conn = conn === undefined ? value : `${conn},${value}`;
        else if (lower === 'transfer-encoding') {
          hasTe = true;
          const codings = value.toLowerCase().split(',');
          chunked = codings[codings.length - 1]!.trim() === 'chunked';
        }
        continue;
      }
      if (lower === 'content-length') {
        if (!/^\d{1,15}$/.test(value)) return this.fail('bad content-length') < 0 && false;
        if (contentLength !== undefined && contentLength !== value) {
          return this.fail('conflicting content-length') < 0 && false;
        }
        if (contentLength !== undefined) continue;
        contentLength = value;
      }
      list.push(name, value);
    }
    let keepAlive = minor === '1';
    if (conn !== undefined) {
      const tokens = conn.toLowerCase().split(',');
      for (const t0 of tokens) {
        const t = t0.trim();
        if (t === 'close') keepAlive = false;
        else if (t === 'keep-alive') keepAlive ||= minor === '0';
        else if (t !== '') removeNamed(list, t);
      }
    }
    const noBody = this.noBody || status === 204 || status === 304;
    if (noBody) this.state = S.Done;
    else if (hasTe) {
      // Transfer-Encoding overrides Content-Length (RFC 9112 6.3); such a connection is not reused.
      if (contentLength !== undefined) keepAlive = false;
      if (chunked) {
        this.state = S.ChunkSize;
        this.line = '';
      } else {
        this.state = S.UntilClose;
        keepAlive = false;
      }
    } else if (contentLength !== undefined) {
      this.remaining = Number(contentLength);
      this.state = this.remaining === 0 ? S.Done : S.Length;
    } else {
      this.state = S.UntilClose;
      keepAlive = false;
    }
    this.keepAlive = keepAlive;
    this.started = true;
    this.sink.onHead(status, m[3] ?? '', list, hasTe ? undefined : contentLength);
    if (this.state === S.Done) this.sink.onComplete();
    return true;
  }
}

/** `s` from `from` without the optional whitespace (SP, HTAB) around a header value. */
export function trimOws(s: string, from: number): string {
  let a = from;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return s.slice(a, b);
}

/** Drops the headers a Connection header names (rare: a second pass over the list). */
function removeNamed(list: string[], lowerName: string): void {
  for (let i = list.length - 2; i >= 0; i -= 2) {
    if (list[i]!.toLowerCase() === lowerName) list.splice(i, 2);
  }
}
