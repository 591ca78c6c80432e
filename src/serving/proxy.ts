import type { RequestRecord } from '../model/index.ts';
import type { Clock, TimerHandle } from '../shared/index.ts';
import { sendError, type Downstream, type DownstreamEvents } from './downstream.ts';
import { upstreamHead } from './headers.ts';
import type { Instance } from './instance.ts';
import type { Deadlines, Expiring } from './deadlines.ts';
import type { Revision, Waiter } from './revision.ts';
import type { Exchange, UpstreamConn } from './upstream.ts';

/** Largest request body accepted over HTTP/1 (Cloud Run's limit); larger gets 413. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;
const RETRIES = 5;
/** Only these are retried after a reset: a POST (say a scheduler job's) must run once. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

function bodiless(d: Downstream): boolean {
  const cl = d.headers['content-length'];
  return d.headers['transfer-encoding'] === undefined && (cl === undefined || cl === '0');
}

export type RequestHook = (r: RequestRecord) => void;

const CHUNKED = 'transfer-encoding: chunked\r\n';

/**
 * One proxied request: waits for a slot, streams the body both ways without buffering over one of
 * the instance's keep-alive connections (upstream.ts), enforces the revision's timeout and the body
 * limit, and always returns its slot exactly once. Its listeners are module-level functions and its
 * upstream callbacks plain methods: nothing is allocated per request beyond this object.
 */
export class ProxyCall implements Waiter, Exchange, Expiring, DownstreamEvents {
  cancelled = false;
  timer: TimerHandle | undefined;
  /** True while waiting in the revision's queue. */
  private inQueue = false;
  private inst: Instance | undefined;
  private conn: UpstreamConn | undefined;
  /** The upstream response's head arrived (and went to the client). */
  private responded = false;
  /** The deadline's slot in `deadlines`, while one is set. */
  private deadline: number | undefined;
  private finished = false;
  private attempts = 0;
  private bodyBytes = 0;
  private readonly bodyless: boolean;
  /** The client's body has no Content-Length (Node decoded its chunks): re-chunked upstream. */
  private readonly chunked: boolean;
  private readonly startedAt: number;
  private waited = false;
  private servedBy: string | undefined;
  private timedOut = false;
  /** Response body bytes as forwarded. */
  private sentBytes = 0;
  /** The upstream response's Content-Length, when it sent one. */
  private sentLength: string | undefined;

  constructor(
    private readonly d: Downstream,
    private readonly rev: Revision,
    private readonly clock: Clock,
    private readonly deadlines: Deadlines,
    private readonly onDone?: RequestHook,
  ) {
    this.bodyless = bodiless(d);
    this.chunked = !this.bodyless && d.headers['content-length'] === undefined;
    this.startedAt = onDone ? performance.now() : 0;
    d.attach(this);
  }

  /** Reports the finished request to the hook (called once, when the response closes). */
  private report(): void {
    const d = this.d;
    const h = d.headers;
    const len = this.sentLength;
    const tc = h['x-cloud-trace-context'] ?? h.traceparent;
    const reqLen = h['content-length'];
    this.onDone?.({
      revision: this.rev.spec.name,
      service: this.rev.spec.service,
      method: d.method,
      url: d.url,
      status: d.statusCode,
      latencyMs: performance.now() - this.startedAt,
      responseSize: len === undefined ? this.sentBytes : Number(len),
      userAgent: h['user-agent'],
      remoteIp: d.remoteAddress,
      instanceId: this.servedBy,
      waited: this.waited,
      trace: typeof tc === 'string' ? tc : undefined,
      requestSize: reqLen === undefined ? this.bodyBytes : Number(reqLen),
      protocol: `HTTP/${d.httpVersion}`,
      timedOut: this.timedOut,
    });
  }

  start(): void {
    const cl = this.d.headers['content-length'];
    if (cl !== undefined && Number(cl) > MAX_BODY_BYTES) {
      this.finish();
      sendError(this.d, 413, `Request body larger than ${MAX_BODY_BYTES / 1048576} MiB.`);
      return;
    }
    this.deadline = this.deadlines.add(this, this.rev.spec.timeoutSeconds * 1000);
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
    const d = this.d;
    const head = upstreamHead(d.method, d.url, d.headers, d.remoteAddress, this.chunked ? CHUNKED : '');
    const conn = inst.pool.take();
    this.conn = conn;
    conn.send(this, head, d.method === 'HEAD', !this.bodyless);
    // Only bodiless requests are retried, so a body is only ever sent once.
    if (!this.bodyless) d.readBody();
  }

  fail(status: number, message: string): void {
    this.inQueue = false;
    if (this.finished) return;
    this.finish();
    sendError(this.d, status, message);
  }

  /** A piece of the client's request body. */
  requestData(chunk: Buffer): void {
    const conn = this.conn;
    if (this.chunked) {
      this.bodyBytes += chunk.length;
      if (this.bodyBytes > MAX_BODY_BYTES) {
        this.stopBody();
        this.conn?.abort();
        this.conn = undefined;
        this.releaseSlot();
        this.fail(413, `Request body larger than ${MAX_BODY_BYTES / 1048576} MiB.`);
        return;
      }
    }
    if (!conn || this.finished) return;
    let ok: boolean;
    if (this.chunked) {
      if (chunk.length === 0) return;
      ok = conn.writeChunk(chunk);
    } else ok = conn.write(chunk);
    if (!ok) this.d.pauseBody();
  }

  requestEnd(): void {
    const conn = this.conn;
    if (!conn || this.finished) return;
    if (this.chunked) conn.write('0\r\n\r\n');
    conn.bodyDone();
  }

  /** Stops forwarding the request body; what is left of it is read and dropped. */
  private stopBody(): void {
    this.d.dropBody();
  }

  onUpstreamDrain(): void {
    if (!this.finished) this.d.resumeBody();
  }

  onHead(status: number, reason: string, headers: string[], contentLength: string | undefined): void {
    if (this.finished) return;
    this.sentLength = contentLength;
    if (!this.d.writeHead(status, reason, headers, contentLength)) {
      // A header that cannot be forwarded (a control character, a bad name): the instance's fault.
      this.conn?.abort();
      this.conn = undefined;
      this.releaseSlot();
      this.fail(502, 'The instance sent a response header that cannot be forwarded.');
      return;
    }
    this.responded = true;
  }

  onBody(chunk: Buffer, last: boolean): void {
    if (this.finished) return;
    this.sentBytes += chunk.length;
    if (last) {
      // The whole body is here: one end() instead of write() then end(); onComplete follows.
      this.finish();
      this.d.end(chunk);
      return;
    }
    if (!this.d.write(chunk)) this.conn?.pause();
  }

  clientDrained(): void {
    this.conn?.resume();
  }

  onComplete(): void {
    // The connection went back to its pool (or was dropped) before this call.
    this.conn = undefined;
    this.releaseSlot();
    if (this.finished) return;
    this.finish();
    this.d.end();
  }

  onUpstreamError(code: string): void {
    this.conn = undefined;
    const inst = this.inst;
    this.releaseSlot();
    if (this.finished) return;
    if (this.responded) {
      this.finish();
      this.d.destroy();
      return;
    }
    // A reset before any response on a bodiless request is safe to retry (a stale keep-alive
    // socket, or an instance whose app had not quite started listening): a cold start never 502s.
    const idempotent = IDEMPOTENT.has(this.d.method);
    const retry = this.bodyless && idempotent && this.attempts <= RETRIES;
    if (!inst) return this.fail(502, 'The instance could not be reached.');
    if (!this.bodyless) this.stopBody();
    if (!retry || code !== 'ECONNRESET') return this.explain(inst);
    // Never into an instance that died under the request: an OOM kill would just happen again.
    void this.rev.died(inst).then((dead) => {
      if (this.finished) return;
      if (dead) return this.explain(inst);
      if (this.attempts === 1) return this.acquire();
      this.clock.setTimeout(() => {
        if (!this.finished) this.acquire();
      }, 200);
    });
  }

  private explain(inst: Instance): void {
    void this.rev.explainFailure(inst).then((r) => this.fail(r.status, r.message));
  }

  /** The revision's timeout passed (Deadlines calls this). */
  expire(): void {
    this.deadline = undefined;
    if (this.finished) return;
    this.timedOut = true;
    this.rev.requestTimedOut(this.servedBy);
    this.leaveQueue();
    this.conn?.abort();
    this.conn = undefined;
    this.releaseSlot();
    this.fail(504, `upstream request timeout: no response within ${this.rev.spec.timeoutSeconds} s.`);
  }

  /** The client's response closed: finished, or the client went away. */
  clientClosed(): void {
    if (this.onDone) this.report();
    if (this.finished) return;
    // The client went away: cancel the upstream request (or the wait) and free the slot.
    this.leaveQueue();
    this.conn?.abort();
    this.conn = undefined;
    this.releaseSlot();
    this.finish();
  }

  private releaseSlot(): void {
    const inst = this.inst;
    if (!inst) return;
    this.inst = undefined;
    this.rev.release(inst);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.deadline !== undefined) this.deadlines.remove(this, this.deadline);
    this.deadline = undefined;
  }
}
