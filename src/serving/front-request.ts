/**
 * One request on the ingress's own listener (front.ts): the Downstream the proxy speaks to, and the
 * response head it gets.
 */
import { STATUS_CODES, type IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { Downstream, DownstreamEvents } from './downstream.ts';
import { TOKEN } from './request-head.ts';

/** Idle keep-alive connections close after this long (as Node's server: 5 s, announced). */
export const KEEP_ALIVE_MS = 5000;
const KEEP_ALIVE = `connection: keep-alive\r\nkeep-alive: timeout=${KEEP_ALIVE_MS / 1000}\r\n\r\n`;
const CLOSE = 'connection: close\r\n\r\n';
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;

let dateSecond = 0;
let dateText = '';
/** The Date header's value, made once a second. */
function httpDate(): string {
  const s = Math.floor(Date.now() / 1000);
  if (s !== dateSecond) {
    dateSecond = s;
    dateText = new Date(s * 1000).toUTCString();
  }
  return dateText;
}

/**
 * A response head, CRLFCRLF included: `headers` a flat [name, value, ...] list (a Content-Length
 * among them dropped when `chunked`), Date added when missing, the connection kept or closed.
 * Undefined when a header cannot be forwarded (a bad name, a control character in a value).
 */
export function responseHead(
  status: number,
  reason: string,
  headers: string[],
  chunked: boolean,
  close: boolean,
): string | undefined {
  let head = `HTTP/1.1 ${status} ${reason || STATUS_CODES[status] || 'Unknown'}\r\n`;
  let date = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    const value = headers[i + 1]!;
    if (!TOKEN.test(name) || BAD_VALUE.test(value)) return undefined;
    if (name.length === 4) date ||= name.toLowerCase() === 'date';
    else if (name.length === 14 && chunked && name.toLowerCase() === 'content-length') continue;
    head += `${name}: ${value}\r\n`;
  }
  if (!date) head += `date: ${httpDate()}\r\n`;
  if (chunked) head += 'transfer-encoding: chunked\r\n';
  return head + (close ? CLOSE : KEEP_ALIVE);
}

/** What happens to the request body's bytes: held until asked for, delivered, or dropped. */
export type BodyMode = 'hold' | 'deliver' | 'drop';

/** The connection a FrontRequest belongs to (front.ts's FrontConn). */
export interface RequestOwner {
  readonly socket: Socket;
  readonly current: FrontRequest | undefined;
  setBody(mode: BodyMode): void;
  pauseBody(paused: boolean): void;
  writeHead(status: number, reason: string, headers: string[], contentLength: string | undefined): boolean;
  write(chunk: Buffer): boolean;
  end(chunk?: Buffer): void;
}

/** One request on a connection; inert once its response ended, so a late call cannot reach the next. */
export class FrontRequest implements Downstream {
  statusCode = 0;
  headersSent = false;
  events: DownstreamEvents | undefined;
  readonly httpVersion = '1.1';

  constructor(
    private readonly conn: RequestOwner,
    readonly method: string,
    readonly url: string,
    readonly headers: IncomingHttpHeaders,
    readonly remoteAddress: string,
  ) {}

  private get live(): boolean {
    return this.conn.current === this;
  }

  attach(events: DownstreamEvents): void {
    this.events = events;
  }

  readBody(): void {
    if (this.live) this.conn.setBody('deliver');
  }

  pauseBody(): void {
    if (this.live) this.conn.pauseBody(true);
  }

  resumeBody(): void {
    if (this.live) this.conn.pauseBody(false);
  }

  dropBody(): void {
    if (this.live) this.conn.setBody('drop');
  }

  writeHead(status: number, reason: string, headers: string[], contentLength: string | undefined): boolean {
    if (!this.live || this.headersSent) return false;
    if (!this.conn.writeHead(status, reason, headers, contentLength)) return false;
    this.statusCode = status;
    this.headersSent = true;
    return true;
  }

  write(chunk: Buffer): boolean {
    return this.live ? this.conn.write(chunk) : true;
  }

  end(chunk?: Buffer): void {
    if (this.live) this.conn.end(chunk);
  }

  destroy(): void {
    if (this.live) this.conn.socket.destroy();
  }
}
