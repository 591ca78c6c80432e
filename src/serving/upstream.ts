import { connect, type Socket } from 'node:net';
import { ResponseParser, type ResponseSink } from './h1.ts';

/** Bytes read from an instance at a time (Node's stream default). */
const READ_BUFFER = 64 * 1024;

/**
 * The ingress's HTTP/1.1 client to one instance: a keep-alive pool of raw sockets, each carrying one
 * request at a time. The request head goes out as one string, the response is parsed by h1.ts and
 * handed to the `Exchange` (the proxied request) through plain method calls: no per-request
 * listeners, closures or promises.
 */
export interface Exchange extends ResponseSink {
  /** The connection failed before the response completed; `code` like ECONNRESET. */
  onUpstreamError(code: string): void;
  /** The socket took what was written (request body backpressure). */
  onUpstreamDrain(): void;
}

/** One upstream connection; lives across requests. */
export class UpstreamConn implements ResponseSink {
  readonly socket: Socket;
  private readonly parser: ResponseParser;
  private ex: Exchange | undefined;
  private closed = false;
  /** The connection cannot carry another request (extra bytes, not keep-alive, a parse error). */
  private dirty = false;
  /** The request's body is still being written. */
  private bodyPending = false;
  private paused = false;

  constructor(
    private readonly pool: UpstreamPool,
    port: number,
  ) {
    this.parser = new ResponseParser(this);
    // Reads land in one buffer per connection, handed over without a stream in between: what is
    // forwarded from it is written at once or copied (ResponseSink.onBody).
    const buffer = Buffer.allocUnsafe(READ_BUFFER);
    const callback = (n: number, b: Uint8Array): boolean => {
      this.onData(n === b.length ? (b as Buffer) : (b as Buffer).subarray(0, n));
      return true;
    };
    const s = connect({ host: '127.0.0.1', port, noDelay: true, onread: { buffer, callback } });
    this.socket = s;
    s.on('end', () => this.onEof());
    s.on('error', (e: NodeJS.ErrnoException) => this.onFailure(e.code ?? 'ECONNRESET'));
    s.on('close', () => this.onFailure('ECONNRESET'));
    s.on('drain', () => this.ex?.onUpstreamDrain());
  }

  /**
   * Sends a request head (ending in CRLFCRLF); a body (`hasBody`) follows through `write` and ends
   * with `bodyDone`. `headRequest`: the response has no body whatever its headers say.
   */
  send(ex: Exchange, head: string, headRequest: boolean, hasBody: boolean): void {
    this.ex = ex;
    this.bodyPending = hasBody;
    this.parser.expect(headRequest);
    this.socket.write(head, 'latin1');
  }

  /** The request body was written whole. */
  bodyDone(): void {
    this.bodyPending = false;
  }

  write(chunk: Buffer | string): boolean {
    return this.socket.write(chunk);
  }

  /** Stops reading (response backpressure) or goes on. */
  pause(): void {
    this.paused = true;
    this.socket.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.socket.resume();
  }

  /** Drops the connection and forgets its request (cancel, timeout). */
  abort(): void {
    this.ex = undefined;
    this.dirty = true;
    this.socket.destroy();
    this.pool.forget(this);
  }

  onHead(status: number, reason: string, headers: string[], contentLength: string | undefined): void {
    this.ex?.onHead(status, reason, headers, contentLength);
  }

  onBody(chunk: Buffer, last: boolean): void {
    this.ex?.onBody(chunk, last);
  }

  onComplete(): void {
    const ex = this.ex;
    this.ex = undefined;
    // A response before the whole request body went out leaves the connection mid-request.
    if (!this.parser.keepAlive || this.bodyPending) this.dirty = true;
    // Back into the pool before the exchange ends, so its next request can take this socket. Reading
    // goes on: the exchange may have paused it (client backpressure) in the buffer that completed the
    // response, and its resume would never come, leaving the next request's response unread.
    if (!this.dirty && !this.closed) {
      this.resume();
      this.pool.park(this);
    } else {
      this.pool.forget(this);
      this.socket.destroy();
    }
    ex?.onComplete();
  }

  private onData(b: Buffer): void {
    if (!this.ex) {
      // Bytes nobody asked for: the connection is out of step.
      this.dirty = true;
      this.socket.destroy();
      return;
    }
    const used = this.parser.execute(b);
    if (used < 0) {
      this.dirty = true;
      const ex = this.ex;
      this.ex = undefined;
      this.socket.destroy();
      ex?.onUpstreamError('EPROTO');
    } else if (used < b.length) {
      // Bytes past the response (say past its Content-Length): it was delivered; drop the socket.
      this.dirty = true;
      this.pool.forget(this);
      this.socket.destroy();
    }
  }

  private onEof(): void {
    if (this.ex && this.parser.eof()) return;
    this.onFailure('ECONNRESET');
  }

  private onFailure(code: string): void {
    this.closed = true;
    this.pool.forget(this);
    const ex = this.ex;
    if (!ex) return;
    this.ex = undefined;
    this.socket.destroy();
    ex.onUpstreamError(code);
  }
}

/** Keep-alive connections to one instance (most recently used first). */
export class UpstreamPool {
  private readonly idle: UpstreamConn[] = [];
  private readonly all = new Set<UpstreamConn>();
  private destroyed = false;

  constructor(
    private readonly port: () => number,
    private readonly maxIdle: number,
  ) {}

  /** An idle connection, or a new one. */
  take(): UpstreamConn {
    const c = this.idle.pop();
    if (c) return c;
    const conn = new UpstreamConn(this, this.port());
    this.all.add(conn);
    return conn;
  }

  /** A connection that finished its response cleanly. */
  park(c: UpstreamConn): void {
    if (this.destroyed || this.idle.length >= this.maxIdle) {
      this.forget(c);
      c.socket.destroy();
      return;
    }
    this.idle.push(c);
  }

  forget(c: UpstreamConn): void {
    if (!this.all.delete(c)) return;
    const i = this.idle.lastIndexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
  }

  get size(): number {
    return this.all.size;
  }

  /** Closes every connection (the instance is going away). */
  destroy(): void {
    this.destroyed = true;
    for (const c of [...this.all]) c.socket.destroy();
    this.all.clear();
    this.idle.length = 0;
  }
}
