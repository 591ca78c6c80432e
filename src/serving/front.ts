/**
 * The ingress's own HTTP/1.1 listener. Node's HTTP server costs more CPU per proxied request than
 * the proxying itself (request and response objects, header validation, stream events); here a
 * request head is parsed from the socket's bytes (request-head.ts), the request is handed to the
 * ingress as a Downstream, and the response head and body go out in as few writes as possible.
 * Only ordinary requests are served here; anything else (request-head.ts says what) is handed to
 * Node's HTTP server with the bytes read so far, for the rest of the connection's life.
 */
import { Server, type Socket } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import type { Clock, TimerHandle } from '../shared/index.ts';
import type { Downstream } from './downstream.ts';
import {
  FrontRequest,
  KEEP_ALIVE_MS,
  responseHead,
  type BodyMode,
  type RequestOwner,
} from './front-request.ts';
import { MAX_REQUEST_HEAD, parseRequestHead } from './request-head.ts';

/** A request head must arrive whole within this long (as Node's server's headersTimeout). */
const HEADERS_TIMEOUT_MS = 60_000;
/** How often idle connections are looked for. */
const SWEEP_MS = 1000;
const CRLFCRLF = Buffer.from('\r\n\r\n');
/** Bodies up to this size go out in the same write as what precedes them (one string). */
const INLINE = 2048;

/** One client connection served by the front; requests on it one at a time, in order. */
class FrontConn implements RequestOwner {
  /** The request whose response is being made. */
  current: FrontRequest | undefined;
  /** Bytes received and not used yet: a partial head, or what follows the current request. */
  private buf: Buffer | undefined;
  /** Body bytes of the current request not received yet. */
  private bodyLeft = 0;
  private body: BodyMode = 'hold';
  private held: Buffer[] = [];
  private bodyPaused = false;
  private bodyEnded = false;
  /** Close once the current response ended. */
  private closeAfter = false;
  private noBody = false;
  private chunked = false;
  /** The response head, sent with the first body bytes. */
  private head: string | undefined;
  private wantDrain = false;
  private reading = true;
  private readonly remote: string;
  /** When the connection last became idle, and when its partial head began (clock ms). */
  private idleSince: number;
  private headSince = 0;
  /** Where the search for the end of the head in `buf` goes on from. */
  private scanned = 0;

  constructor(
    readonly socket: Socket,
    private readonly front: IngressServer,
  ) {
    this.remote = socket.remoteAddress ?? '';
    this.idleSince = front.clock.now();
    socket.on('data', (b: Buffer) => this.onData(b));
    socket.on('end', () => this.onEnd());
    socket.on('close', () => this.onClose());
    socket.on('error', () => undefined);
    socket.on('drain', () => this.onDrain());
  }

  /** No request in progress and no partial head (shutdown closes these at once). */
  get idle(): boolean {
    return !this.current && !this.buf;
  }

  private onData(b: Buffer): void {
    if (this.bodyLeft > 0) {
      const take = Math.min(this.bodyLeft, b.length);
      this.bodyLeft -= take;
      this.bodyPiece(take === b.length ? b : b.subarray(0, take));
      if (take === b.length) return;
      b = b.subarray(take);
    }
    if (this.closeAfter && !this.current) return; // closing: what follows is not read
    if (this.buf) this.buf = Buffer.concat([this.buf, b]);
    else {
      this.buf = b;
      this.scanned = 0;
      if (!this.current) this.headSince = this.front.clock.now();
    }
    if (this.current) this.updateReading();
    else this.next();
  }

  /** Parses and starts the next request from `buf`, or hands the connection to Node's server. */
  private next(): void {
    const buf = this.buf!;
    // A head arriving in pieces is searched for its end from where the last search stopped.
    const end = buf.indexOf(CRLFCRLF, this.scanned);
    if (end < 0) {
      this.scanned = Math.max(0, buf.length - 3);
      if (buf.length > MAX_REQUEST_HEAD) this.handOff();
      return;
    }
    const h = end <= MAX_REQUEST_HEAD ? parseRequestHead(buf.toString('latin1', 0, end)) : undefined;
    if (!h) return this.handOff();
    this.scanned = 0;
    this.buf = end + 4 < buf.length ? buf.subarray(end + 4) : undefined;
    this.bodyLeft = h.bodyLength;
    this.body = 'hold';
    this.bodyPaused = false;
    this.bodyEnded = h.bodyLength === 0;
    this.closeAfter = h.close || this.front.closing;
    this.noBody = h.method === 'HEAD';
    this.head = undefined;
    const req = new FrontRequest(this, h.method, h.url, h.headers, this.remote);
    this.current = req;
    const rest = this.buf;
    if (rest && this.bodyLeft > 0) {
      const take = Math.min(this.bodyLeft, rest.length);
      this.bodyLeft -= take;
      this.buf = take < rest.length ? rest.subarray(take) : undefined;
      this.bodyPiece(take === rest.length ? rest : rest.subarray(0, take));
    }
    this.updateReading();
    this.front.admit(req);
  }

  /** Gives the socket and what was read of it to Node's HTTP server. */
  private handOff(): void {
    const s = this.socket;
    const buf = this.buf;
    this.buf = undefined;
    this.front.forget(this);
    for (const event of ['data', 'end', 'close', 'drain', 'error']) s.removeAllListeners(event);
    this.front.fallback.emit('connection', s);
    // Node's server reads from the socket's handle from now on: the bytes read so far go first.
    if (buf) s.emit('data', buf);
    if (!this.reading) s.resume();
  }

  private bodyPiece(piece: Buffer): void {
    if (this.body === 'drop') return;
    if (this.body === 'deliver' && !this.bodyPaused && this.held.length === 0) {
      this.current?.events?.requestData(piece);
    } else this.held.push(piece);
    this.flushBody();
  }

  setBody(mode: BodyMode): void {
    this.body = mode;
    if (mode === 'drop') this.held = [];
    this.flushBody();
  }

  pauseBody(paused: boolean): void {
    this.bodyPaused = paused;
    this.flushBody();
  }

  /** Delivers held pieces and the body's end as far as the request takes them. */
  private flushBody(): void {
    if (this.body === 'deliver') {
      while (!this.bodyPaused && this.held.length > 0) this.current?.events?.requestData(this.held.shift()!);
      if (!this.bodyPaused && this.held.length === 0 && this.bodyLeft === 0 && !this.bodyEnded) {
        this.bodyEnded = true;
        this.current?.events?.requestEnd();
      }
    }
    this.updateReading();
  }

  /** Reads unless body pieces wait for the request, or a next request waits in `buf`. */
  private updateReading(): void {
    // Not paused merely because a request is in progress: that would cost a pause and a resume
    // per request; bytes of a next request that do come wait in `buf`, and then reading stops.
    const read = this.current
      ? !this.bodyPaused && this.held.length === 0 && !this.buf
      : !this.buf || this.buf.length <= MAX_REQUEST_HEAD;
    if (read === this.reading) return;
    this.reading = read;
    if (read) this.socket.resume();
    else this.socket.pause();
  }

  writeHead(status: number, reason: string, headers: string[], contentLength: string | undefined): boolean {
    this.noBody ||= status === 204 || status === 304;
    const chunked = !this.noBody && contentLength === undefined;
    // A body still arriving when the response is made: the connection closes after it.
    if (this.bodyLeft > 0 || this.front.closing) this.closeAfter = true;
    const head = responseHead(status, reason, headers, chunked, this.closeAfter);
    if (head === undefined) return false;
    this.chunked = chunked;
    this.head = head;
    return true;
  }

  write(chunk: Buffer): boolean {
    if (this.noBody || chunk.length === 0) return true;
    const ok = this.chunked
      ? this.send(`${chunk.length.toString(16)}\r\n`, chunk, '\r\n')
      : this.send('', chunk, '');
    if (!ok) this.wantDrain = true;
    return ok;
  }

  end(chunk?: Buffer): void {
    const body = this.noBody || !chunk || chunk.length === 0 ? undefined : chunk;
    if (!this.chunked) this.send('', body, '');
    else if (body) this.send(`${body.length.toString(16)}\r\n`, body, '\r\n0\r\n\r\n');
    else this.send('', undefined, '0\r\n\r\n');
    this.responseEnded();
  }

  /** Writes the pending head, then `pre` + `chunk` + `post`, in one write when small; never keeps `chunk`. */
  private send(pre: string, chunk: Buffer | undefined, post: string): boolean {
    const s = this.socket;
    let text = pre;
    if (this.head !== undefined) {
      text = this.head + pre;
      this.head = undefined;
    }
    if (!chunk) return s.write(text + post, 'latin1');
    if (chunk.length <= INLINE) return s.write(text + chunk.toString('latin1') + post, 'latin1');
    s.cork();
    if (text !== '') s.write(text, 'latin1');
    // A copy: the socket may keep it queued, and `chunk` is the upstream's read buffer.
    let ok = s.write(Buffer.from(chunk));
    if (post !== '') ok = s.write(post, 'latin1');
    s.uncork();
    return ok;
  }

  private responseEnded(): void {
    const req = this.current;
    this.current = undefined;
    this.wantDrain = false;
    if (this.bodyLeft > 0 || this.held.length > 0) this.setBody('drop');
    req?.events?.clientClosed();
    if (this.closeAfter) {
      this.buf = undefined;
      this.socket.end();
      return;
    }
    this.idleSince = this.front.clock.now();
    if (this.buf && this.bodyLeft === 0) {
      this.headSince = this.idleSince;
      this.next();
    } else this.updateReading();
  }

  private onDrain(): void {
    if (!this.wantDrain) return;
    this.wantDrain = false;
    this.current?.events?.clientDrained();
  }

  private onEnd(): void {
    // The client went away (as Node's server takes it): a request in progress is cancelled.
    this.socket.destroy();
  }

  /** Closes the connection when idle too long, or when its partial head is too slow. */
  sweep(now: number): void {
    if (this.current) return;
    if (this.buf ? now - this.headSince > HEADERS_TIMEOUT_MS : now - this.idleSince > KEEP_ALIVE_MS) {
      this.socket.destroy();
    }
  }

  private onClose(): void {
    this.front.forget(this);
    const req = this.current;
    this.current = undefined;
    req?.events?.clientClosed();
  }
}

/**
 * The ingress listener: serves ordinary requests itself and hands the rest to `fallback`, a Node
 * HTTP server that never listens. Closes like Node's HTTP server (closeIdleConnections,
 * closeAllConnections), covering both.
 */
export class IngressServer extends Server {
  /** Stopping: every response closes its connection. */
  closing = false;
  private readonly conns = new Set<FrontConn>();
  private sweeper: TimerHandle | undefined;

  constructor(
    readonly admit: (d: Downstream) => void,
    readonly fallback: HttpServer,
    readonly clock: Clock,
  ) {
    super({ allowHalfOpen: true, noDelay: true });
    // Node's server tracks connections (idle, header and request timeouts) once 'listening'.
    fallback.emit('listening');
    this.on('connection', (s: Socket) => {
      this.conns.add(new FrontConn(s, this));
      this.sweeper ??= clock.setTimeout(this.sweep, SWEEP_MS);
    });
    this.on('close', () => fallback.close(() => undefined));
  }

  /** Idle connections close (one timer for all, not one per socket refreshed on every read). */
  private readonly sweep = (): void => {
    this.sweeper = undefined;
    const now = this.clock.now();
    for (const c of this.conns) c.sweep(now);
    if (this.conns.size > 0) this.sweeper = this.clock.setTimeout(this.sweep, SWEEP_MS);
  };

  forget(c: FrontConn): void {
    this.conns.delete(c);
  }

  closeIdleConnections(): void {
    this.closing = true;
    for (const c of this.conns) if (c.idle) c.socket.destroy();
    this.fallback.closeIdleConnections();
  }

  closeAllConnections(): void {
    this.closing = true;
    for (const c of this.conns) c.socket.destroy();
    this.fallback.closeAllConnections();
  }
}
