import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

/** What a proxied request hears from its client's side. */
export interface DownstreamEvents {
  /** A piece of the request body (after `readBody`). */
  requestData(chunk: Buffer): void;
  /** The request body ended. */
  requestEnd(): void;
  /** The response ended, or the client went away: called once. */
  clientClosed(): void;
  /** The client took what was written (after a `write` returned false). */
  clientDrained(): void;
}

/**
 * The client's side of one request, whichever listener parsed it: the ingress's own (front.ts) or
 * Node's HTTP server (NodeDownstream, for what the own listener hands over).
 */
export interface Downstream {
  readonly method: string;
  readonly url: string;
  /** Lower-case names; the ingress may delete or rewrite entries before proxying. */
  readonly headers: IncomingHttpHeaders;
  readonly remoteAddress: string;
  /** "1.1" */
  readonly httpVersion: string;
  /** The response status once a head was written. */
  readonly statusCode: number;
  /** Whether a response head went out. */
  readonly headersSent: boolean;
  /** Sends events of this request to `events` (once, before anything else). */
  attach(events: DownstreamEvents): void;
  /** Starts delivering the body to requestData/requestEnd. */
  readBody(): void;
  pauseBody(): void;
  resumeBody(): void;
  /** The rest of the body is read and dropped (or the connection closed after the response). */
  dropBody(): void;
  /**
   * Writes the response head: `headers` a flat [name, value, ...] list, `contentLength` when the
   * body's length is known. False (nothing written) when a header cannot be forwarded.
   */
  writeHead(status: number, reason: string, headers: string[], contentLength: string | undefined): boolean;
  /**
   * False when the client cannot take more now: clientDrained follows. `chunk` may be reused by the
   * caller once this returns (the upstream's read buffer): it is written at once or copied.
   */
  write(chunk: Buffer): boolean;
  /** Ends the response, with a last chunk (as in `write`). */
  end(chunk?: Buffer): void;
  /** Cuts the connection (a response that cannot be completed). */
  destroy(): void;
}

/** Writes a short plain-text error unless the response already started; then cuts it. */
export function sendError(d: Downstream, status: number, message: string): void {
  if (d.headersSent) return d.destroy();
  d.dropBody();
  const body = Buffer.from(`${message}\n`);
  const length = String(body.length);
  const headers = [
    'content-type',
    'text/plain; charset=utf-8',
    'content-length',
    length,
    'x-tarmac-error',
    'ingress',
  ];
  d.writeHead(status, '', headers, length);
  d.end(body);
}

const EVENTS = Symbol('downstreamEvents');
type WithEvents = { [EVENTS]?: DownstreamEvents };

function onClose(this: ServerResponse): void {
  const ev = (this as WithEvents)[EVENTS];
  (this as WithEvents)[EVENTS] = undefined;
  ev?.clientClosed();
}

function onDrain(this: ServerResponse): void {
  (this as WithEvents)[EVENTS]?.clientDrained();
}

function onData(this: IncomingMessage, chunk: Buffer): void {
  (this as WithEvents)[EVENTS]?.requestData(chunk);
}

function onEnd(this: IncomingMessage): void {
  (this as WithEvents)[EVENTS]?.requestEnd();
}

/** A request Node's HTTP server parsed (what the ingress's own listener hands over). */
export class NodeDownstream implements Downstream {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly remoteAddress: string;
  readonly httpVersion: string;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {
    this.method = req.method ?? 'GET';
    this.url = req.url ?? '/';
    this.headers = req.headers;
    this.remoteAddress = req.socket.remoteAddress ?? '';
    this.httpVersion = req.httpVersion;
  }

  get statusCode(): number {
    return this.res.statusCode;
  }

  get headersSent(): boolean {
    return this.res.headersSent;
  }

  attach(events: DownstreamEvents): void {
    (this.res as WithEvents)[EVENTS] = events;
    this.res.on('close', onClose);
  }

  readBody(): void {
    (this.req as WithEvents)[EVENTS] = (this.res as WithEvents)[EVENTS];
    this.req.on('data', onData);
    this.req.on('end', onEnd);
  }

  pauseBody(): void {
    this.req.pause();
  }

  resumeBody(): void {
    this.req.resume();
  }

  dropBody(): void {
    const req = this.req;
    (req as WithEvents)[EVENTS] = undefined;
    req.removeListener('data', onData);
    req.removeListener('end', onEnd);
    req.resume();
  }

  writeHead(status: number, reason: string, headers: string[]): boolean {
    try {
      if (reason === '') this.res.writeHead(status, headers);
      else this.res.writeHead(status, reason, headers);
      return true;
    } catch {
      // A header Node refuses to write (a control character, a bad name).
      return false;
    }
  }

  write(chunk: Buffer): boolean {
    if (this.res.write(Buffer.from(chunk))) return true;
    this.res.once('drain', onDrain);
    return false;
  }

  end(chunk?: Buffer): void {
    if (chunk) this.res.end(Buffer.from(chunk));
    else this.res.end();
  }

  destroy(): void {
    this.res.destroy();
  }
}
