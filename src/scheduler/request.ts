import type { Dispatcher } from 'undici';
import { isTarmacError, type StatusCode } from '../shared/index.ts';
import type { JobSpec } from './job.ts';
import { formatTime } from './time.ts';
import type { TokenCache } from './tokens.ts';

/**
 * Where a URL on tarmac's own domain goes: the ingress origin to connect to, and the headers that
 * mark the request as internal traffic (only tarmac knows them). Undefined for any other URL.
 */
export type InternalRoute = (url: URL) => { origin: string; headers: Record<string, string> } | undefined;

/** One request of an attempt (redirects make more): where to connect and what to write. */
export interface HopRequest {
  origin: string;
  path: string;
  method: Dispatcher.HttpMethod;
  headers: Record<string, string>;
  body: Buffer | undefined;
}

/** One attempt of a run, as the loop asks for it. */
export interface AttemptRequest {
  jobName: string;
  jobId: string;
  /** The run's schedule time; the X-CloudScheduler-ScheduleTime header of every attempt of the run. */
  scheduleTime: number;
  timeZone: string;
  target: JobSpec['httpTarget'];
  deadlineMs: number;
}

/**
 * An attempt's request, built ahead of its instant (token included), so that sending it at the due
 * time is only handing it to the connection pool.
 */
export interface Prepared {
  /** The target URL (redirects resolve against it). */
  url: URL;
  /** The first hop as written: to the ingress for tarmac's own URLs, with the internal marker. */
  first: HopRequest;
  /** The headers for later hops (without the marker: every hop is routed again). */
  headers: Record<string, string>;
  deadlineMs: number;
  /** Why the request could not be built (say, a token that could not be minted): the attempt fails so. */
  error?: { code: StatusCode; message: string };
}

/** What does not change between runs of a target: parsed once per job version. */
interface TargetParts {
  url: URL;
  path: string;
  method: Dispatcher.HttpMethod;
  body: Buffer | undefined;
  headers: Record<string, string>;
}

const REPLACED =
  /^(host|content-length|user-agent|x-cloudscheduler.*|x-google-.*|x-appengine-.*|x-tarmac-.*|connection|transfer-encoding)$/i;

/** Builds attempts' requests as Cloud Scheduler sends them: its headers, the job's, the token. */
export class RequestBuilder {
  // Keyed by the job's target object, which the repo keeps per job version (name, update time).
  private readonly parts = new WeakMap<JobSpec['httpTarget'], TargetParts>();

  constructor(
    private readonly tokens: TokenCache,
    private readonly route: InternalRoute | undefined,
  ) {}

  /** The prepared request; a Promise only while the job's token is being minted. Never throws. */
  build(req: AttemptRequest): Prepared | Promise<Prepared> {
    let auth: string | undefined | Promise<string>;
    try {
      auth = this.tokens.authorization(req.target);
    } catch (e) {
      return this.failed(req, e);
    }
    if (typeof auth === 'object') {
      return auth.then(
        (a) => this.assemble(req, a),
        (e: unknown) => this.failed(req, e),
      );
    }
    return this.assemble(req, auth);
  }

  private assemble(req: AttemptRequest, auth: string | undefined): Prepared {
    const parts = this.partsOf(req.target);
    const headers = { ...parts.headers };
    headers['x-cloudscheduler-jobname'] = req.jobId;
    headers['x-cloudscheduler-scheduletime'] = formatTime(req.scheduleTime, req.timeZone);
    if (auth) headers.authorization = auth;
    const internal = this.route?.(parts.url);
    return {
      url: parts.url,
      headers,
      deadlineMs: req.deadlineMs,
      first: {
        origin: internal ? internal.origin : parts.url.origin,
        path: parts.path,
        method: parts.method,
        headers: internal ? { ...headers, ...internal.headers, host: parts.url.host } : headers,
        body: parts.body,
      },
    };
  }

  private partsOf(t: JobSpec['httpTarget']): TargetParts {
    let p = this.parts.get(t);
    if (p) return p;
    const url = new URL(t.uri);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(t.headers)) if (!REPLACED.test(k)) headers[k.toLowerCase()] = v;
    if (t.body && headers['content-type'] === undefined) headers['content-type'] = 'application/octet-stream';
    headers['user-agent'] = 'Google-Cloud-Scheduler';
    headers['x-cloudscheduler'] = 'true';
    p = {
      url,
      path: `${url.pathname}${url.search}`,
      method: t.httpMethod as Dispatcher.HttpMethod,
      body: t.body ? Buffer.from(t.body, 'base64') : undefined,
      headers,
    };
    this.parts.set(t, p);
    return p;
  }

  private failed(req: AttemptRequest, e: unknown): Prepared {
    const error = isTarmacError(e)
      ? { code: e.code, message: e.message }
      : { code: 'UNAVAILABLE' as const, message: `could not get a token: ${(e as Error)?.message ?? e}` };
    const url = new URL(req.target.uri);
    const empty: HopRequest = { origin: url.origin, path: '/', method: 'GET', headers: {}, body: undefined };
    return { url, first: empty, headers: {}, deadlineMs: req.deadlineMs, error };
  }
}
