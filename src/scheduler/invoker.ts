import { performance } from 'node:perf_hooks';
import { Agent, type Dispatcher } from 'undici';
import type { TokenMinter } from '../model/index.ts';
import { TarmacError, isTarmacError, type Clock, type StatusCode } from '../shared/index.ts';
import { DEFAULT_SCOPE, type JobSpec } from './job.ts';
import { formatTime } from './time.ts';

/**
 * Where a URL on tarmac's own domain goes: the ingress origin to connect to, and the headers that
 * mark the request as internal traffic (only tarmac knows them). Undefined for any other URL.
 */
export type InternalRoute = (url: URL) => { origin: string; headers: Record<string, string> } | undefined;

export interface AttemptRequest {
  jobName: string;
  jobId: string;
  /** The run's schedule time; the X-CloudScheduler-ScheduleTime header of every attempt of the run. */
  scheduleTime: number;
  timeZone: string;
  target: JobSpec['httpTarget'];
  deadlineMs: number;
}

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

const REPLACED =
  /^(host|content-length|user-agent|x-cloudscheduler.*|x-google-.*|x-appengine-.*|x-tarmac-.*|connection|transfer-encoding)$/i;
const TOKEN_MARGIN_MS = 5 * 60_000;
const REDIRECT = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;
/** Response bytes read (and dropped) before the connection is cut: only the status counts. */
const MAX_BODY = 1 << 20;

function cut(f: Flight, why: 'deadline' | 'shutdown'): void {
  if (f.cut) return;
  f.cut = why;
  const err = new Cut(why);
  f.abort?.(err);
  f.fail?.(err);
}

/** A header's value from undici's raw [name, value, ...] list. */
function rawHeader(raw: Buffer[] | string[] | null, name: string): string | undefined {
  if (!raw) return undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.toString().toLowerCase() === name) return raw[i + 1]!.toString();
  }
  return undefined;
}

/** An attempt in flight: how to cut it short (deadline, shutdown) wherever it is. */
interface Flight {
  /** Set once the attempt was cut short; the reason is 'deadline' or 'shutdown'. */
  cut?: 'deadline' | 'shutdown';
  /** Aborts the request on its connection (undici hands it over when the request is written). */
  abort?: (err: Error) => void;
  /** Rejects the attempt's pending hop at once (a request still queued for a connection included). */
  fail?: (err: Error) => void;
}

class Cut extends Error {}

interface Hop {
  statusCode: number;
  location?: string;
}

/** Sends one attempt of a job's HTTP target, as Cloud Scheduler does; never throws. */
export class HttpInvoker {
  private readonly agent: Agent;
  private readonly tokens = new Map<string, { token: Promise<string>; expiresAt: number }>();
  private readonly inflight = new Set<Flight>();

  constructor(private readonly opts: InvokerOptions) {
    this.agent = new Agent({ connections: opts.connections ?? 128, keepAliveTimeout: 30_000 });
  }

  async attempt(req: AttemptRequest): Promise<AttemptOutcome> {
    const { clock } = this.opts;
    const start = clock.now();
    const t0 = performance.now();
    const done = (o: Omit<AttemptOutcome, 'start' | 'end' | 'latencyMs'>): AttemptOutcome => ({
      ...o,
      start,
      end: clock.now(),
      latencyMs: performance.now() - t0,
    });
    const flight: Flight = {};
    this.inflight.add(flight);
    const timer = clock.setTimeout(() => cut(flight, 'deadline'), req.deadlineMs);
    try {
      const res = await this.send(req, flight);
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      return done({
        ok,
        httpStatus: res.statusCode,
        code: ok ? 'OK' : codeOfHttp(res.statusCode),
        message: ok ? '' : `the target answered HTTP ${res.statusCode}`,
      });
    } catch (e) {
      if (flight.cut) {
        return flight.cut === 'deadline'
          ? done({
              ok: false,
              code: 'DEADLINE_EXCEEDED',
              message: `attempt deadline of ${req.deadlineMs / 1000}s exceeded`,
            })
          : done({ ok: false, code: 'CANCELLED', message: 'tarmac stopped while the attempt was in flight' });
      }
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
   * Sends the attempt, following up to MAX_REDIRECTS redirects itself (the final answer counts, as in
   * Cloud Scheduler): each hop is routed on its own, so the internal marker only ever goes to the
   * ingress and never follows a redirect elsewhere; the token is dropped when the origin changes.
   */
  private async send(req: AttemptRequest, flight: Flight): Promise<Hop> {
    const t = req.target;
    const headers = await this.headers(req);
    let url = new URL(t.uri);
    let method = t.httpMethod as Dispatcher.HttpMethod;
    let body: Buffer | undefined = t.body ? Buffer.from(t.body, 'base64') : undefined;
    for (let hop = 0; ; hop++) {
      const internal = this.opts.internalRoute?.(url);
      const res = await this.hop(
        internal ? new URL(internal.origin) : url,
        `${url.pathname}${url.search}`,
        method,
        internal ? { ...headers, ...internal.headers, host: url.host } : headers,
        body,
        flight,
      );
      const location = res.location;
      if (!REDIRECT.has(res.statusCode) || location === undefined || hop >= MAX_REDIRECTS) return res;
      const next = new URL(location, url);
      if (next.origin !== url.origin) delete headers.authorization;
      if (res.statusCode === 303 ? method !== 'HEAD' : res.statusCode <= 302 && method === 'POST') {
        method = 'GET';
        body = undefined;
        delete headers['content-type'];
      }
      url = next;
    }
  }

  /**
   * One request through undici's dispatch API: the response body is read and dropped (up to
   * MAX_BODY, then the connection is cut), without a body stream or an AbortController per attempt
   * (10,000 attempts a minute make those allocations a large part of the invoker's CPU).
   */
  private hop(
    origin: URL,
    path: string,
    method: Dispatcher.HttpMethod,
    headers: Record<string, string>,
    body: Buffer | undefined,
    flight: Flight,
  ): Promise<Hop> {
    if (flight.cut) return Promise.reject(new Cut(flight.cut));
    return new Promise<Hop>((resolve, reject) => {
      const res: Hop = { statusCode: 0 };
      let bytes = 0;
      let settled = false;
      const settle = (err?: Error): void => {
        if (settled) return;
        settled = true;
        flight.abort = undefined;
        flight.fail = undefined;
        if (err) reject(err);
        else resolve(res);
      };
      flight.fail = settle;
      this.agent.dispatch(
        { origin: origin.origin, path, method, headers, body },
        {
          onConnect: (abort) => {
            if (flight.cut) abort(new Cut(flight.cut));
            else flight.abort = abort;
          },
          onHeaders: (statusCode, raw) => {
            res.statusCode = statusCode;
            if (REDIRECT.has(statusCode)) res.location = rawHeader(raw, 'location');
            return true;
          },
          onData: (chunk) => {
            bytes += chunk.length;
            if (bytes <= MAX_BODY) return true;
            const abort = flight.abort;
            settle();
            abort?.(new Cut('body too large'));
            return false;
          },
          onComplete: () => settle(),
          onError: (err) => settle(err),
        },
      );
    });
  }

  private async headers(req: AttemptRequest): Promise<Record<string, string>> {
    const t = req.target;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(t.headers)) if (!REPLACED.test(k)) headers[k.toLowerCase()] = v;
    if (t.body && headers['content-type'] === undefined) headers['content-type'] = 'application/octet-stream';
    headers['user-agent'] = 'Google-Cloud-Scheduler';
    headers['x-cloudscheduler'] = 'true';
    headers['x-cloudscheduler-jobname'] = req.jobId;
    headers['x-cloudscheduler-scheduletime'] = formatTime(req.scheduleTime, req.timeZone);
    const auth = await this.authorization(t);
    if (auth) headers.authorization = auth;
    return headers;
  }

  /**
   * The job's token, cached per (account, audience or scope) until TOKEN_MARGIN_MS before it expires;
   * concurrent attempts share one minting (10,000 jobs due at once mint once).
   */
  private async authorization(t: JobSpec['httpTarget']): Promise<string | undefined> {
    const tok = t.oidcToken ?? t.oauthToken;
    if (!tok) return undefined;
    const minter = this.opts.minter;
    if (!minter)
      throw new TarmacError('FAILED_PRECONDITION', 'no token minter is configured', { reason: 'NO_MINTER' });
    const now = this.opts.clock.now();
    const key = t.oidcToken
      ? `id\n${tok.serviceAccountEmail}\n${t.oidcToken.audience || t.uri}`
      : `at\n${tok.serviceAccountEmail}\n${t.oauthToken?.scope || DEFAULT_SCOPE}`;
    const hit = this.tokens.get(key);
    if (hit && hit.expiresAt - TOKEN_MARGIN_MS > now) return `Bearer ${await hit.token}`;
    const entry = { token: Promise.resolve(''), expiresAt: Infinity };
    entry.token = (async (): Promise<string> => {
      try {
        if (t.oidcToken) {
          const token = await minter.idToken(tok.serviceAccountEmail, t.oidcToken.audience || t.uri, {
            includeEmail: true,
          });
          entry.expiresAt = jwtExpiry(token) ?? now;
          return token;
        }
        const minted = await minter.accessToken(
          tok.serviceAccountEmail,
          (t.oauthToken?.scope || DEFAULT_SCOPE).split(/\s+/),
        );
        entry.expiresAt = minted.expiresAt;
        return minted.token;
      } catch (e) {
        if (this.tokens.get(key) === entry) this.tokens.delete(key);
        throw e;
      }
    })();
    this.tokens.set(key, entry);
    return `Bearer ${await entry.token}`;
  }
}

function jwtExpiry(jwt: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      exp?: number;
    };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
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
