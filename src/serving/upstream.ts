import { connect, type Socket } from 'node:net';
import { ResponseParser, type ResponseSink } from './h1.ts';
import { NetnsDialer } from './netns-dialer.ts';

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
  private sock: Socket | undefined;
  private readonly parser: ResponseParser;
  private ex: Exchange | undefined;
  private closed = false;
  /** The connection cannot carry another request (extra bytes, not keep-alive, a parse error). */
  private dirty = false;
  /** The request's body is still being written. */
  private bodyPending = false;
  private paused = false;
  private dialed = false;
  /** What was written before the socket came (a dialed connection is handed over a moment later). */
  private queued: (string | Buffer)[] | undefined = [];
  /** A write was refused while queued: the exchange waits for onUpstreamDrain. */
  private owesDrain = false;

  constructor(private readonly pool: UpstreamPool) {
    this.parser = new ResponseParser(this);
  }

  /** Connects to the instance's published port on the host loopback. */
  connectPort(port: number): void {
    // Reads land in one buffer per connection, handed over without a stream in between: what is
    // forwarded from it is written at once or copied (ResponseSink.onBody).
    const buffer = Buffer.allocUnsafe(READ_BUFFER);
    const callback = (n: number, b: Uint8Array): boolean => {
      this.onData(n === b.length ? (b as Buffer) : (b as Buffer).subarray(0, n));
      return true;
    };
    this.attach(connect({ host: '127.0.0.1', port, noDelay: true, onread: { buffer, callback } }), false);
  }

  /** Takes a connected socket the dialer handed over (a stream: handles passed between processes come so). */
  adopt(s: Socket): void {
    s.on('data', (b: Buffer) => this.onData(b));
    this.attach(s, true);
  }

  /** Opened inside the instance's network namespace (NetnsDialer), not on the published port. */
  get direct(): boolean {
    return this.dialed;
  }

  private attach(s: Socket, dialed: boolean): void {
    this.sock = s;
    this.dialed = dialed;
    s.on('end', () => this.onEof());
    s.on('error', (e: NodeJS.ErrnoException) => this.onFailure(e.code ?? 'ECONNRESET'));
    s.on('close', () => this.onFailure('ECONNRESET'));
    s.on('drain', () => this.ex?.onUpstreamDrain());
    const queued = this.queued;
    this.queued = undefined;
    if (this.closed) {
      s.destroy();
      return;
    }
    if (this.paused) s.pause();
    let ok = true;
    if (queued && queued.length > 0) {
      s.cork();
      for (const q of queued) ok = typeof q === 'string' ? s.write(q, 'latin1') : s.write(q);
      s.uncork();
    }
    if (ok && this.owesDrain) {
      this.owesDrain = false;
      this.ex?.onUpstreamDrain();
    }
  }

  /**
   * Sends a request head (ending in CRLFCRLF); a body (`hasBody`) follows through `write` and ends
   * with `bodyDone`. `headRequest`: the response has no body whatever its headers say.
   */
  send(ex: Exchange, head: string, headRequest: boolean, hasBody: boolean): void {
    this.ex = ex;
    this.bodyPending = hasBody;
    this.parser.expect(headRequest);
    if (this.sock) this.sock.write(head, 'latin1');
    else this.queued?.push(head);
  }

  /** The request body was written whole. */
  bodyDone(): void {
    this.bodyPending = false;
  }

  write(chunk: Buffer | string): boolean {
    if (this.sock) return this.sock.write(chunk);
    // A copy: the caller may reuse its buffer once this returns.
    this.queued?.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk));
    this.owesDrain = true;
    return false;
  }

  /** Writes one chunk of a chunked body (size line, data, CRLF) in one go. */
  writeChunk(chunk: Buffer): boolean {
    this.sock?.cork();
    this.write(`${chunk.length.toString(16)}\r\n`);
    this.write(chunk);
    const ok = this.write('\r\n');
    this.sock?.uncork();
    return ok;
  }

  /** Stops reading (response backpressure) or goes on. */
  pause(): void {
    this.paused = true;
    this.sock?.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.sock?.resume();
  }

  /** Drops the connection and forgets its request (cancel, timeout). */
  abort(): void {
    this.ex = undefined;
    this.dirty = true;
    this.destroy();
    this.pool.forget(this);
  }

  /** Closes the socket (now, or as soon as it comes). */
  destroy(): void {
    const wasClosed = this.closed;
    this.closed = true;
    if (this.sock) this.sock.destroy();
    // No socket yet, so no 'close' will come: the request still attached fails like a reset.
    else if (!wasClosed) queueMicrotask(() => this.onFailure('ECONNRESET'));
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
      this.destroy();
    }
    ex?.onComplete();
  }

  private onData(b: Buffer): void {
    if (!this.ex) {
      // Bytes nobody asked for: the connection is out of step.
      this.dirty = true;
      this.destroy();
      return;
    }
    const used = this.parser.execute(b);
    if (used < 0) {
      this.dirty = true;
      const ex = this.ex;
      this.ex = undefined;
      this.destroy();
      ex?.onUpstreamError('EPROTO');
    } else if (used < b.length) {
      // Bytes past the response (say past its Content-Length): it was delivered; drop the socket.
      this.dirty = true;
      this.pool.forget(this);
      this.destroy();
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
    this.destroy();
    ex.onUpstreamError(code);
  }
}

/**
 * Keep-alive connections to one instance (most recently used first). Connections are only opened
 * for a request that found none idle (an idle connection nobody asked for would hold a worker of a
 * one-connection-at-a-time server such as gunicorn's sync workers). With a dialer whose helper runs,
 * the new connection comes from inside the instance's network namespace a moment later (the request
 * is queued on it meanwhile); otherwise, or if dialing fails, it goes to the published port, and the
 * first such miss starts the helper for the requests after it. Published-port connections are
 * closed instead of parked while the helper runs, so a keep-alive pool moves over as it is used.
 */
export class UpstreamPool {
  private readonly idle: UpstreamConn[] = [];
  private readonly all = new Set<UpstreamConn>();
  /** Connections waiting for a socket from the dialer, in the order they asked. */
  private readonly dialing: UpstreamConn[] = [];
  private destroyed = false;
  private dialer: NetnsDialer | undefined;

  constructor(
    private readonly port: () => number,
    private readonly maxIdle: number,
  ) {}

  /** Dials from inside the namespace of process `pid` (the instance is ready); the pool closes it. */
  useDialer(pid: number, containerPort: number, onFailure?: (reason: string) => void, idleMs?: number): void {
    if (this.destroyed) return;
    this.dialer = NetnsDialer.open(
      pid,
      containerPort,
      {
        onSocket: (s) => this.delivered(s),
        onMissed: () => this.redirect(),
        onFailure: (reason) => {
          this.redirect();
          onFailure?.(reason);
        },
      },
      idleMs,
    );
  }

  /** An idle connection, or a new one. */
  take(): UpstreamConn {
    const c = this.idle.pop();
    if (c) return c;
    const conn = new UpstreamConn(this);
    this.all.add(conn);
    const d = this.dialer;
    if (d?.ready) {
      this.dialing.push(conn);
      d.request();
    } else {
      conn.connectPort(this.port());
      d?.start();
    }
    return conn;
  }

  /** A connection that finished its response cleanly. */
  park(c: UpstreamConn): void {
    // Once the dialer runs, published-port connections make way for dialed ones as they finish.
    const replace = !c.direct && this.dialer?.ready === true;
    if (this.destroyed || this.idle.length >= this.maxIdle || replace) {
      this.forget(c);
      c.destroy();
      return;
    }
    this.idle.push(c);
  }

  forget(c: UpstreamConn): void {
    if (!this.all.delete(c)) return;
    const i = this.idle.lastIndexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
    const j = this.dialing.indexOf(c);
    if (j >= 0) this.dialing.splice(j, 1);
  }

  get size(): number {
    return this.all.size;
  }

  /** A dialer's helper runs: a new connection is dialed inside the namespace. */
  get dialerReady(): boolean {
    return this.dialer?.ready === true;
  }

  /** Connections opened inside the instance's namespace, of `size`. */
  get directCount(): number {
    let n = 0;
    for (const c of this.all) if (c.direct) n++;
    return n;
  }

  /** Stops the dialer (the instance is stopping); new connections use the published port. */
  stopDialing(): void {
    this.dialer?.close();
    this.dialer = undefined;
    this.redirect();
  }

  /** Closes every connection (the instance is going away). */
  destroy(): void {
    this.destroyed = true;
    this.dialer?.close();
    for (const c of [...this.all]) c.destroy();
    this.all.clear();
    this.idle.length = 0;
    this.dialing.length = 0;
  }

  /** A socket the dialer connected: for the connection that waited longest (none: an aborted one's). */
  private delivered(s: Socket): void {
    const c = this.dialing.shift();
    if (c && !this.destroyed) c.adopt(s);
    else s.destroy();
  }

  /** The dialer cannot deliver: whoever waits connects to the published port instead. */
  private redirect(): void {
    for (const c of this.dialing.splice(0)) c.connectPort(this.port());
  }
}
