import { performance } from 'node:perf_hooks';
import { Agent } from 'undici';
import type { TokenMinter } from '../model/index.ts';
import { isTarmacError, type Clock, type StatusCode } from '../shared/index.ts';
import { Cut, cut, hop, isRedirect, type Flight, type Hop } from './hop.ts';
import { RequestBuilder, type AttemptRequest, type InternalRoute, type Prepared } from './request.ts';
import { TokenCache } from './tokens.ts';

export type { AttemptRequest, InternalRoute, Prepared } from './request.ts';

export interface AttemptOutcome {
  ok: boolean;
  httpStatus?: number;
  code: StatusCode | 'OK';
  message: string;
  start: number;
  end: number;
  latencyMs: number;
}

export interface InvokerOptions {
  clock: Clock;
  minter?: TokenMinter;
  internalRoute?: InternalRoute;
  /** Connections per origin (keep-alive pool). */
  connections?: number;
}

const MAX_REDIRECTS = 10;

/**
 * Sends attempts of jobs' HTTP targets as Cloud Scheduler does. Split in two so the work happens
 * before a run's instant: `prepare` builds the request (headers, token), `fire` only hands it to the
 * connection pool and records the outcome. Never throws.
 */
export class HttpInvoker {
  private readonly agent: Agent;
  private readonly builder: RequestBuilder;
  private readonly inflight = new Set<Flight>();

  constructor(private readonly opts: InvokerOptions) {
    this.agent = new Agent({ connections: opts.connections ?? 256, keepAliveTimeout: 30_000 });
    this.builder = new RequestBuilder(new TokenCache(opts.clock, opts.minter), opts.internalRoute);
  }

  /** Builds an attempt's request; a Promise only while its token is being minted. */
  prepare(req: AttemptRequest): Prepared | Promise<Prepared> {
    return this.builder.build(req);
  }

  /** Prepares and fires at once (RunJob, tests). */
  attempt(req: AttemptRequest): Promise<AttemptOutcome> {
    const p = this.prepare(req);
    return p instanceof Promise ? p.then((x) => this.fire(x)) : this.fire(p);
  }

  /**
   * Sends a prepared attempt: its start is now, and its request is in the connection pool when this
   * returns (a pool with no free connection queues it). Resolves with the outcome, never rejects.
   */
  async fire(p: Prepared): Promise<AttemptOutcome> {
    const { clock } = this.opts;
    const start = clock.now();
    const t0 = performance.now();
    const done = (o: Omit<AttemptOutcome, 'start' | 'end' | 'latencyMs'>): AttemptOutcome => ({
      ...o,
      start,
      end: clock.now(),
      latencyMs: performance.now() - t0,
    });
    if (p.error) return done({ ok: false, ...p.error });
    const flight: Flight = {};
    this.inflight.add(flight);
    const timer = clock.setTimeout(() => cut(flight, 'deadline'), p.deadlineMs);
    try {
      const res = await this.send(p, flight);
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      return done({
        ok,
        httpStatus: res.statusCode,
        code: ok ? 'OK' : codeOfHttp(res.statusCode),
        message: ok ? '' : `the target answered HTTP ${res.statusCode}`,
      });
    } catch (e) {
      if (flight.cut === 'deadline')
        return done({
          ok: false,
          code: 'DEADLINE_EXCEEDED',
          message: `attempt deadline of ${p.deadlineMs / 1000}s exceeded`,
        });
      if (flight.cut || e instanceof Cut)
        return done({ ok: false, code: 'CANCELLED', message: 'tarmac stopped while the attempt was in flight' });
      if (isTarmacError(e)) return done({ ok: false, code: e.code, message: e.message });
      const err = e as { code?: string; message?: string; cause?: { code?: string; message?: string } };
      const why = err.cause?.code ?? err.code ?? '';
      return done({
        ok: false,
        code: 'UNAVAILABLE',
        message: `request failed: ${why} ${err.cause?.message ?? err.message ?? ''}`.trim(),
      });
    } finally {
      clock.clearTimeout(timer);
      this.inflight.delete(flight);
    }
  }

  /** Aborts every attempt in flight (they end as CANCELLED). */
  abortAll(): void {
    for (const f of this.inflight) cut(f, 'shutdown');
  }

  async close(): Promise<void> {
    this.abortAll();
    await this.agent.close().catch(() => undefined);
  }

  /**
   * Sends the first hop (synchronously handed to the pool), then follows up to MAX_REDIRECTS
   * redirects itself (the final answer counts, as in Cloud Scheduler): each hop is routed on its own,
   * so the internal marker only ever goes to the ingress and never follows a redirect elsewhere; the
   * token is dropped when the origin changes.
   */
  private async send(p: Prepared, flight: Flight): Promise<Hop> {
    let res = await hop(this.agent, p.first, flight);
    let { url } = p;
    let { method, body } = p.first;
    const headers = { ...p.headers };
    for (let n = 0; n < MAX_REDIRECTS && isRedirect(res.statusCode) && res.location !== undefined; n++) {
      const next = new URL(res.location, url);
      if (next.origin !== url.origin) delete headers.authorization;
      if (res.statusCode === 303 ? method !== 'HEAD' : res.statusCode <= 302 && method === 'POST') {
        method = 'GET';
        body = undefined;
        delete headers['content-type'];
      }
      url = next;
      const internal = this.opts.internalRoute?.(url);
      res = await hop(
        this.agent,
        {
          origin: internal ? internal.origin : url.origin,
          path: `${url.pathname}${url.search}`,
          method,
          headers: internal ? { ...headers, ...internal.headers, host: url.host } : headers,
          body,
        },
        flight,
      );
    }
    return res;
  }
}

/** Google's mapping of an HTTP status onto a canonical code, for a job's status and history. */
export function codeOfHttp(status: number): StatusCode {
  const known: Record<number, StatusCode> = {
    400: 'INVALID_ARGUMENT',
    401: 'UNAUTHENTICATED',
    403: 'PERMISSION_DENIED',
    404: 'NOT_FOUND',
    409: 'ABORTED',
    412: 'FAILED_PRECONDITION',
    416: 'OUT_OF_RANGE',
    429: 'RESOURCE_EXHAUSTED',
    499: 'CANCELLED',
    501: 'UNIMPLEMENTED',
    503: 'UNAVAILABLE',
    504: 'DEADLINE_EXCEEDED',
  };
  if (known[status]) return known[status];
  if (status >= 400 && status < 500) return 'FAILED_PRECONDITION';
  if (status >= 500) return 'INTERNAL';
  return 'UNKNOWN';
}
