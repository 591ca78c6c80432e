import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { isTarmacError, type Clock } from '../shared/index.ts';
import { codeOfHttp, type AttemptOutcome } from './outcome.ts';
import type { Lanes } from './lanes.ts';
import type { HopRequest, InternalRoute, Prepared } from './request.ts';

/** Response bytes read (and dropped) before the connection is cut: only the status counts. */
const MAX_BODY = 1 << 20;
const MAX_REDIRECTS = 10;
const REDIRECT = new Set([301, 302, 303, 307, 308]);

/** What attempts share: the connection pool, the clock, the router for tarmac's own URLs. */
export interface AttemptContext {
  lanes: Lanes;
  clock: Clock;
  route: InternalRoute | undefined;
  /** Takes a fired attempt under deadline watch. */
  track(a: Attempt): void;
  /** Told when a tracked attempt is over. */
  untrack(a: Attempt): void;
}

type Result = Omit<AttemptOutcome, 'start' | 'end' | 'latencyMs'>;

/** Told of an attempt's outcome, with the tag it was fired with (no closure per attempt). */
export type Done<T> = (o: AttemptOutcome, tag: T) => void;

/**
 * One attempt of a job: its request, built ahead of the due time, and its progress once fired. It is
 * undici's handler for its own request(s): firing it allocates next to nothing, no promise, timer,
 * stream or AbortController (with 10,000 runs due at once, garbage collection pauses were what made
 * the last ones late).
 */
export class Attempt implements Dispatcher.DispatchHandlers {
  /** When it was fired (the attempt's start) and when its deadline falls. */
  start = 0;
  expiresAt = 0;
  over = false;
  tracked = false;
  readonly deadlineMs: number;
  private t0 = 0;
  private req: Prepared | undefined;
  private done: Done<never> | undefined;
  private tag: unknown;
  private cutWhy: 'deadline' | 'shutdown' | undefined;
  private abortHop: ((err: Error) => void) | undefined;
  private status = 0;
  private location: string | undefined;
  private bytes = 0;
  private hops = 0;
  /** The current hop's request (its origin is released when undici is done with it). */
  hopReq!: HopRequest;
  /** The current hop, once a redirect was followed. */
  private hop:
    { url: URL; method: Dispatcher.HttpMethod; body?: Buffer; headers: Record<string, string> } | undefined;

  constructor(
    private readonly ctx: AttemptContext,
    prepared: Prepared,
  ) {
    this.req = prepared;
    this.deadlineMs = prepared.deadlineMs;
  }

  /** Sends it now: the request is in the connection pool when this returns. `done` is called once. */
  fire<T>(done: Done<T>, tag: T): void {
    const { ctx } = this;
    const req = this.req!;
    this.done = done as Done<never>;
    this.tag = tag;
    this.start = ctx.clock.now();
    this.t0 = performance.now();
    if (req.error) return this.finish({ ok: false, code: req.error.code, message: req.error.message });
    this.expiresAt = this.start + this.deadlineMs;
    ctx.track(this);
    this.send(req.first);
  }

  /** Cuts it short wherever it is (queued for a connection, written, reading the answer). */
  cut(why: 'deadline' | 'shutdown'): void {
    if (this.over) return;
    this.cutWhy = why;
    const abort = this.abortHop;
    if (why === 'deadline') {
      this.finish({
        ok: false,
        code: 'DEADLINE_EXCEEDED',
        message: `attempt deadline of ${this.deadlineMs / 1000}s exceeded`,
      });
    } else
      this.finish({
        ok: false,
        code: 'CANCELLED',
        message: 'tarmac stopped while the attempt was in flight',
      });
    abort?.(new Error(why));
  }

  onConnect(abort: (err?: Error) => void): void {
    // A request cut while still queued for a connection is dropped before a byte is written.
    if (this.cutWhy) abort(new Error(this.cutWhy));
    else this.abortHop = abort;
  }

  onHeaders(statusCode: number, raw: Buffer[] | string[] | null): boolean {
    this.status = statusCode;
    if (REDIRECT.has(statusCode)) this.location = rawHeader(raw, 'location');
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    if (this.bytes <= MAX_BODY) return true;
    const abort = this.abortHop;
    this.hopDone();
    abort?.(new Error('body too large'));
    return false;
  }

  onComplete(): void {
    this.ctx.lanes.release(this.hopReq.origin);
    if (!this.over) this.hopDone();
  }

  onError(e: Error): void {
    this.ctx.lanes.release(this.hopReq.origin);
    if (this.over) return;
    if (isTarmacError(e)) return this.finish({ ok: false, code: e.code, message: e.message });
    const err = e as { code?: string; message?: string; cause?: { code?: string; message?: string } };
    const why = err.cause?.code ?? err.code ?? '';
    this.finish({
      ok: false,
      code: 'UNAVAILABLE',
      message: `request failed: ${why} ${err.cause?.message ?? err.message ?? ''}`.trim(),
    });
  }

  /** A hop answered: follow a redirect (the final answer counts, as in Cloud Scheduler) or finish. */
  private hopDone(): void {
    const status = this.status;
    if (!REDIRECT.has(status) || this.location === undefined || this.hops >= MAX_REDIRECTS || !this.req) {
      const ok = status >= 200 && status < 300;
      return this.finish({
        ok,
        httpStatus: status,
        code: ok ? 'OK' : codeOfHttp(status),
        message: ok ? '' : `the target answered HTTP ${status}`,
      });
    }
    this.redirect(status, this.location);
  }

  /**
   * Each hop is routed on its own, so the internal marker only ever goes to the ingress and never
   * follows a redirect elsewhere; the token is dropped when the origin changes.
   */
  private redirect(status: number, location: string): void {
    const req = this.req!;
    const h = (this.hop ??= {
      url: req.url,
      method: req.first.method,
      body: req.first.body,
      headers: { ...req.headers },
    });
    const next = new URL(location, h.url);
    if (next.origin !== h.url.origin) delete h.headers.authorization;
    if (status === 303 ? h.method !== 'HEAD' : status <= 302 && h.method === 'POST') {
      h.method = 'GET';
      h.body = undefined;
      delete h.headers['content-type'];
    }
    h.url = next;
    this.hops++;
    this.status = 0;
    this.location = undefined;
    this.bytes = 0;
    this.abortHop = undefined;
    const internal = this.ctx.route?.(next);
    this.send({
      origin: internal ? internal.origin : next.origin,
      path: `${next.pathname}${next.search}`,
      method: h.method,
      headers: internal ? { ...h.headers, ...internal.headers, host: next.host } : h.headers,
      body: h.body,
    });
  }

  private send(req: HopRequest): void {
    this.hopReq = req;
    this.ctx.lanes.send(this);
  }

  private finish(r: Result): void {
    if (this.over) return;
    this.over = true;
    this.abortHop = undefined;
    this.req = undefined;
    this.hop = undefined;
    const { done, tag } = this;
    this.done = undefined;
    this.tag = undefined;
    if (this.tracked) this.ctx.untrack(this);
    done?.(
      { ...r, start: this.start, end: this.ctx.clock.now(), latencyMs: performance.now() - this.t0 },
      tag as never,
    );
  }
}

/** A header's value from undici's raw [name, value, ...] list. */
function rawHeader(raw: Buffer[] | string[] | null, name: string): string | undefined {
  if (!raw) return undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.toString().toLowerCase() === name) return raw[i + 1]!.toString();
  }
  return undefined;
}
