import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Clock, TimerHandle } from '../shared/index.ts';
import { upstreamHeaders } from './headers.ts';
import type { Instance } from './instance.ts';
import type { Revision, Waiter } from './revision.ts';

/** Answers an upgrade request with a plain HTTP error and closes the socket. */
export function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  const body = `${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\ncontent-type: text/plain; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/**
 * A WebSocket (or other Upgrade) connection: holds one concurrency slot for its whole life, relays
 * bytes both ways, and is cut at the revision's request timeout.
 */
export class UpgradeCall implements Waiter {
  cancelled = false;
  timer: Waiter['timer'];
  private inst: Instance | undefined;
  private upstream: Socket | undefined;
  private done = false;
  private inQueue = false;
  private deadline: TimerHandle | undefined;

  constructor(
    private readonly req: IncomingMessage,
    private readonly socket: Duplex,
    private readonly head: Buffer,
    private readonly rev: Revision,
    private readonly clock: Clock,
  ) {}

  start(): void {
    this.socket.on('close', this.close);
    this.socket.on('error', this.close);
    this.deadline = this.clock.setTimeout(this.close, this.rev.spec.timeoutSeconds * 1000);
    const inst = this.rev.tryAcquire();
    if (inst) return this.grant(inst);
    this.inQueue = true;
    this.rev.wait(this);
  }

  grant(inst: Instance): void {
    this.inQueue = false;
    this.inst = inst;
    if (this.done) return this.close();
    const req = this.req;
    const headers = upstreamHeaders(req.headers, req.socket.remoteAddress ?? '', true);
    let head = `${req.method} ${req.url} HTTP/1.1\r\nhost: ${req.headers.host ?? ''}\r\n`;
    for (const [k, v] of Object.entries(headers)) {
      if (k === 'host' || v === undefined) continue;
      for (const x of Array.isArray(v) ? v : [v]) head += `${k}: ${x}\r\n`;
    }
    const up = connect({ host: '127.0.0.1', port: inst.hostPort });
    this.upstream = up;
    up.on('error', this.close);
    up.on('close', this.close);
    up.on('connect', () => {
      up.write(`${head}\r\n`);
      if (this.head.length > 0) up.write(this.head);
      up.pipe(this.socket);
      this.socket.pipe(up);
    });
  }

  fail(status: number, message: string): void {
    this.inQueue = false;
    if (this.done) return;
    this.done = true;
    rejectUpgrade(this.socket, status, message);
  }

  private readonly close = (): void => {
    if (this.inQueue) {
      this.inQueue = false;
      this.rev.cancel(this);
    }
    this.done = true;
    if (this.deadline) this.clock.clearTimeout(this.deadline);
    this.deadline = undefined;
    this.upstream?.destroy();
    this.socket.destroy();
    const inst = this.inst;
    if (inst) {
      this.inst = undefined;
      this.rev.release(inst);
    }
  };
}
