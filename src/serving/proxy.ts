import { request, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { RequestRecord } from '../model/index.ts';
import type { Clock, TimerHandle } from '../shared/index.ts';
import { endToEndRaw, upstreamHeaderList } from './headers.ts';
import type { Instance } from './instance.ts';
import type { Revision, Waiter } from './revision.ts';

/** Largest request body accepted over HTTP/1 (Cloud Run's limit); larger gets 413. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;
const RETRIES = 5;
/** Only these are retried after a reset: a POST (say a scheduler job's) must run once. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** Writes a short plain-text error unless the response already started; then cuts it. */
export function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = `${message}\n`;
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-tarmac-error': 'ingress',
  });
  res.end(body);
}

function bodiless(req: IncomingMessage): boolean {
  const cl = req.headers['content-length'];
  return req.headers['transfer-encoding'] === undefined && (cl === undefined || cl === '0');
}

export type { RequestRecord };
export type RequestHook = (r: RequestRecord) => void;

/**
 * One proxied request: waits for a slot, streams the body both ways without buffering, enforces the
 * revision's timeout and the body limit, and always returns its slot exactly once.
 */
export class ProxyCall implements Waiter {
  cancelled = false;
  timer: TimerHandle | undefined;
  /** True while waiting in the revision's queue. */
  private inQueue = false;
  private inst: Instance | undefined;
  private upstream: ClientRequest | undefined;
  private response: IncomingMessage | undefined;
  private deadline: TimerHandle | undefined;
  private finished = false;
  private attempts = 0;
  private bodyBytes = 0;
  private readonly bodyless: boolean;
  private readonly startedAt: number;
  private waited = false;
  private servedBy: string | undefined;
  private timedOut = false;
  /** Response body bytes as forwarded. */
  private sentBytes = 0;
  /** The upstream response's Content-Length, when it sent one. */
  private sentLength: string | undefined;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly rev: Revision,
    private readonly clock: Clock,
    private readonly onDone?: RequestHook,
  ) {
    this.bodyless = bodiless(req);
    this.startedAt = onDone ? performance.now() : 0;
    res.on('close', this.onClientClose);
  }

  /** Reports the finished request to the hook (called once, when the response closes). */
  private report(): void {
    const req = this.req;
    const h = req.headers;
    const len = this.sentLength;
    const tc = h['x-cloud-trace-context'] ?? h.traceparent;
    const reqLen = h['content-length'];
    this.onDone?.({
      revision: this.rev.spec.name,
      service: this.rev.spec.service,
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      status: this.res.statusCode,
      latencyMs: performance.now() - this.startedAt,
      responseSize: len === undefined ? this.sentBytes : Number(len),
      userAgent: h['user-agent'],
      remoteIp: req.socket.remoteAddress ?? '',
      instanceId: this.servedBy,
      waited: this.waited,
      trace: typeof tc === 'string' ? tc : undefined,
      requestSize: reqLen === undefined ? this.bodyBytes : Number(reqLen),
      protocol: `HTTP/${req.httpVersion}`,
      timedOut: this.timedOut,
    });
  }

  start(): void {
    const cl = this.req.headers['content-length'];
    if (cl !== undefined && Number(cl) > MAX_BODY_BYTES) {
      this.finish();
      this.req.resume();
      sendError(this.res, 413, `Request body larger than ${MAX_BODY_BYTES / 1048576} MiB.`);
      return;
    }
    this.deadline = this.clock.setTimeout(this.onTimeout, this.rev.spec.timeoutSeconds * 1000);
    this.acquire();
  }

  private acquire(): void {
    const inst = this.rev.tryAcquire();
    if (inst) return this.grant(inst);
    this.cancelled = false;
    this.inQueue = true;
    this.waited = true;
    this.rev.wait(this);
  }

  private leaveQueue(): void {
    if (!this.inQueue) return;
    this.inQueue = false;
    this.rev.cancel(this);
  }

  grant(inst: Instance): void {
    this.inQueue = false;
    if (this.finished) {
      this.rev.release(inst);
      return;
    }
    this.inst = inst;
    this.servedBy = inst.id;
    this.attempts++;
    const req = this.req;
    const headers = upstreamHeaderList(req.headers, req.socket.remoteAddress ?? '');
    const up = request({
      host: '127.0.0.1',
      port: inst.hostPort,
      method: req.method,
      path: req.url,
      headers,
      agent: inst.agent,
      setHost: false,
    });
    this.upstream = up;
    up.on('response', this.onResponse);
    up.on('error', this.onUpstreamError);
    if (this.bodyless) {
      up.end();
    } else if (req.headers['content-length'] === undefined) {
      req.on('data', this.countBody);
      req.pipe(up);
    } else req.pipe(up);
  }

  fail(status: number, message: string): void {
    this.inQueue = false;
    if (this.finished) return;
    this.finish();
    sendError(this.res, status, message);
  }

  private readonly countBody = (chunk: Buffer): void => {
    this.bodyBytes += chunk.length;
    if (this.bodyBytes > MAX_BODY_BYTES) {
      this.req.unpipe();
      this.req.resume();
      this.fail(413, `Request body larger than ${MAX_BODY_BYTES / 1048576} MiB.`);
    }
  };

  private readonly onResponse = (ures: IncomingMessage): void => {
    if (this.finished) {
      ures.resume();
      return;
    }
    this.response = ures;
    const h = endToEndRaw(ures.rawHeaders);
    this.sentLength = h.contentLength;
    this.res.writeHead(ures.statusCode ?? 502, ures.statusMessage, h.list);
    // Forwarded by hand rather than with pipe(): the same backpressure, a third of the listeners.
    ures.on('data', this.onData);
    ures.on('end', this.onUpstreamEnd);
    ures.on('error', this.onUpstreamError);
  };

  private readonly onData = (chunk: Buffer): void => {
    if (this.finished) return;
    this.sentBytes += chunk.length;
    if (!this.res.write(chunk)) {
      this.response?.pause();
      this.res.once('drain', this.onDrain);
    }
  };

  private readonly onDrain = (): void => {
    this.response?.resume();
  };

  private readonly onUpstreamEnd = (): void => {
    this.releaseSlot();
    this.finish();
    this.res.end();
  };

  private readonly onUpstreamError = (err: NodeJS.ErrnoException): void => {
    // The response arrived whole and only the connection failed after it (say bytes past its
    // Content-Length): it is still delivered, and its 'end' returns the slot.
    if (this.response?.complete) return;
    const inst = this.inst;
    this.releaseSlot();
    if (this.finished) return;
    if (this.res.headersSent) {
      this.finish();
      this.res.destroy();
      return;
    }
    // A reset before any response on a bodiless request is safe to retry (a stale keep-alive
    // socket, or an instance whose app had not quite started listening): a cold start never 502s.
    const idempotent = IDEMPOTENT.has(this.req.method ?? '');
    const retry = this.bodyless && idempotent && this.attempts <= RETRIES;
    if (!inst) return this.fail(502, 'The instance could not be reached.');
    if (!retry || err.code !== 'ECONNRESET') return this.explain(inst);
    // Never into an instance that died under the request: an OOM kill would just happen again.
    void this.rev.died(inst).then((dead) => {
      if (this.finished) return;
      if (dead) return this.explain(inst);
      if (this.attempts === 1) return this.acquire();
      this.clock.setTimeout(() => {
        if (!this.finished) this.acquire();
      }, 200);
    });
  };

  private explain(inst: Instance): void {
    void this.rev.explainFailure(inst).then((r) => this.fail(r.status, r.message));
  }

  private readonly onTimeout = (): void => {
    this.deadline = undefined;
    if (this.finished) return;
    this.timedOut = true;
    this.rev.requestTimedOut(this.servedBy);
    this.leaveQueue();
    this.upstream?.destroy();
    this.releaseSlot();
    this.fail(504, `upstream request timeout: no response within ${this.rev.spec.timeoutSeconds} s.`);
  };

  private readonly onClientClose = (): void => {
    if (this.onDone) this.report();
    if (this.finished) return;
    // The client went away: cancel the upstream request (or the wait) and free the slot.
    this.leaveQueue();
    this.upstream?.destroy();
    this.releaseSlot();
    this.finish();
  };

  private releaseSlot(): void {
    const inst = this.inst;
    if (!inst) return;
    this.inst = undefined;
    this.rev.release(inst);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.deadline) this.clock.clearTimeout(this.deadline);
    this.deadline = undefined;
  }
}
