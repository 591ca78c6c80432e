import { TarmacError, type FieldViolation } from '../shared/index.ts';
import {
  HTTP_METHODS,
  type HttpMethod,
  type HttpTarget,
  type Job,
  type RetryConfig,
} from '../model/index.ts';
import { DEFAULT_RETRY, type RetryPolicy } from './backoff.ts';
import { validateSchedule } from './next.ts';
import { zone } from './zone.ts';

export const DEFAULT_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
export const DEFAULT_DEADLINE_MS = 180_000;
const MIN_DEADLINE_MS = 15_000;
const MAX_DEADLINE_MS = 1_800_000;
const JOB_NAME = /^projects\/([^/]+)\/locations\/([^/]+)\/jobs\/([A-Za-z0-9_-]{1,500})$/;

/** What a user sets on a job, normalized: defaults applied, durations in ms. Stored as JSON. */
export interface JobSpec {
  description: string;
  schedule: string;
  timeZone: string;
  httpTarget: {
    uri: string;
    httpMethod: HttpMethod;
    headers: Record<string, string>;
    body?: string;
    oidcToken?: { serviceAccountEmail: string; audience?: string };
    oauthToken?: { serviceAccountEmail: string; scope?: string };
  };
  retry: RetryPolicy;
  attemptDeadlineMs: number;
}

export interface JobName {
  name: string;
  project: string;
  location: string;
  jobId: string;
}

/** Splits projects/P/locations/L/jobs/J; INVALID_ARGUMENT (reason INVALID_JOB_NAME) otherwise. */
export function parseJobName(name: string): JobName {
  const m = JOB_NAME.exec(name);
  if (!m) {
    throw new TarmacError(
      'INVALID_ARGUMENT',
      `Invalid job name '${name}': expected projects/PROJECT/locations/LOCATION/jobs/JOB_ID with JOB_ID of letters, digits, '-' or '_' (at most 500)`,
      {
        reason: 'INVALID_JOB_NAME',
        fieldViolations: [
          { field: 'name', description: 'must be projects/PROJECT/locations/LOCATION/jobs/JOB_ID' },
        ],
      },
    );
  }
  return { name, project: m[1]!, location: m[2]!, jobId: m[3]! };
}

/** Parses a google.protobuf.Duration string ("180s", "3.5s"); undefined when malformed. */
export function parseDuration(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(\d+(?:\.\d{1,9})?)s$/.exec(v.trim());
  return m ? Math.round(Number(m[1]) * 1000) : undefined;
}

export function formatDuration(ms: number): string {
  return `${Number((ms / 1000).toFixed(9))}s`;
}

class Violations {
  readonly list: FieldViolation[] = [];
  add(field: string, description: string): void {
    this.list.push({ field, description });
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates the user-settable fields of a Job (JSON) into a JobSpec; INVALID_ARGUMENT lists every problem. */
export function validateJobSpec(input: Record<string, unknown>, now: number): JobSpec {
  const v = new Violations();
  const description = typeof input.description === 'string' ? input.description : '';
  if (input.description !== undefined && typeof input.description !== 'string')
    v.add('description', 'must be a string');
  if (description.length > 500) v.add('description', 'must be at most 500 characters');
  const timeZone = typeof input.timeZone === 'string' && input.timeZone !== '' ? input.timeZone : 'Etc/UTC';
  try {
    zone(timeZone);
  } catch (e) {
    v.add('timeZone', (e as TarmacError).fieldViolations[0]?.description ?? 'unknown time zone');
  }
  const schedule = typeof input.schedule === 'string' ? input.schedule.trim() : '';
  if (schedule === '') v.add('schedule', 'is required (unix-cron, e.g. "*/5 * * * *")');
  else if (v.list.every((x) => x.field !== 'timeZone')) {
    try {
      validateSchedule(schedule, timeZone, now);
    } catch (e) {
      v.add('schedule', (e as TarmacError).fieldViolations[0]?.description ?? 'invalid schedule');
    }
  }
  if (input.pubsubTarget !== undefined || input.appEngineHttpTarget !== undefined) {
    v.add('pubsubTarget', 'only httpTarget is supported by tarmac');
  }
  const httpTarget = validateTarget(input.httpTarget, v);
  const retry = validateRetry(input.retryConfig, v);
  let attemptDeadlineMs = DEFAULT_DEADLINE_MS;
  if (input.attemptDeadline !== undefined) {
    const d = parseDuration(input.attemptDeadline);
    if (d === undefined) v.add('attemptDeadline', 'must be a duration such as "180s"');
    else if (d < MIN_DEADLINE_MS || d > MAX_DEADLINE_MS)
      v.add('attemptDeadline', 'must be between 15s and 1800s');
    else attemptDeadlineMs = d;
  }
  if (v.list.length > 0) {
    throw new TarmacError(
      'INVALID_ARGUMENT',
      `Invalid job: ${v.list.map((x) => `${x.field} ${x.description}`).join('; ')}`,
      {
        reason: 'INVALID_JOB',
        fieldViolations: v.list,
      },
    );
  }
  return { description, schedule, timeZone, httpTarget: httpTarget!, retry, attemptDeadlineMs };
}

function validateTarget(t: unknown, v: Violations): JobSpec['httpTarget'] | undefined {
  if (!isObject(t)) {
    v.add('httpTarget', 'is required');
    return undefined;
  }
  const uri = typeof t.uri === 'string' ? t.uri : '';
  let parsed: URL | undefined;
  try {
    parsed = new URL(uri);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !['http:', 'https:'].includes(parsed.protocol))
    v.add('httpTarget.uri', 'must be an http:// or https:// URL');
  else if (uri.length > 2083) v.add('httpTarget.uri', 'must be at most 2083 characters');
  const method = (
    t.httpMethod === undefined || t.httpMethod === 'HTTP_METHOD_UNSPECIFIED' ? 'POST' : t.httpMethod
  ) as HttpMethod;
  if (!HTTP_METHODS.includes(method))
    v.add('httpTarget.httpMethod', `must be one of ${HTTP_METHODS.join(', ')}`);
  const headers: Record<string, string> = {};
  if (t.headers !== undefined) {
    if (!isObject(t.headers)) v.add('httpTarget.headers', 'must be a map of header names to values');
    else {
      let size = 0;
      for (const [k, val] of Object.entries(t.headers)) {
        if (typeof val !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k))
          v.add(`httpTarget.headers.${k}`, 'must be a valid header name with a string value');
        else headers[k] = val;
        size += k.length + String(val).length;
      }
      if (size >= 80 * 1024) v.add('httpTarget.headers', 'must total less than 80 KB');
    }
  }
  let body: string | undefined;
  if (t.body !== undefined && t.body !== '') {
    if (typeof t.body !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(t.body))
      v.add('httpTarget.body', 'must be base64');
    else if (!['POST', 'PUT', 'PATCH'].includes(method))
      v.add('httpTarget.body', 'is allowed only for POST, PUT and PATCH');
    else body = t.body;
  }
  const out: JobSpec['httpTarget'] = { uri, httpMethod: method, headers, ...(body ? { body } : {}) };
  if (t.oidcToken !== undefined && t.oauthToken !== undefined)
    v.add('httpTarget', 'set at most one of oidcToken and oauthToken');
  const sa = (field: string, tok: unknown): string | undefined => {
    const email = isObject(tok) && typeof tok.serviceAccountEmail === 'string' ? tok.serviceAccountEmail : '';
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
      v.add(`httpTarget.${field}.serviceAccountEmail`, 'must be a service account email');
      return undefined;
    }
    return email;
  };
  if (t.oidcToken !== undefined) {
    const email = sa('oidcToken', t.oidcToken);
    const audience = (t.oidcToken as Record<string, unknown>).audience;
    if (email)
      out.oidcToken = {
        serviceAccountEmail: email,
        ...(typeof audience === 'string' && audience ? { audience } : {}),
      };
  }
  if (t.oauthToken !== undefined) {
    const email = sa('oauthToken', t.oauthToken);
    const scope = (t.oauthToken as Record<string, unknown>).scope;
    if (email)
      out.oauthToken = {
        serviceAccountEmail: email,
        ...(typeof scope === 'string' && scope ? { scope } : {}),
      };
  }
  return out;
}

function validateRetry(r: unknown, v: Violations): RetryPolicy {
  const p = { ...DEFAULT_RETRY };
  if (r === undefined) return p;
  if (!isObject(r)) {
    v.add('retryConfig', 'must be an object');
    return p;
  }
  const int = (field: string, lo: number, hi: number): number | undefined => {
    const x = r[field];
    if (x === undefined) return undefined;
    const n = typeof x === 'string' && /^\d+$/.test(x) ? Number(x) : x;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < lo || n > hi) {
      v.add(`retryConfig.${field}`, `must be an integer from ${lo} to ${hi}`);
      return undefined;
    }
    return n;
  };
  const dur = (field: string): number | undefined => {
    if (r[field] === undefined) return undefined;
    const d = parseDuration(r[field]);
    if (d === undefined) v.add(`retryConfig.${field}`, 'must be a duration such as "5s"');
    return d;
  };
  p.retryCount = int('retryCount', 0, 5) ?? p.retryCount;
  p.maxDoublings = int('maxDoublings', 0, 16) ?? p.maxDoublings;
  p.maxRetryDurationMs = dur('maxRetryDuration') ?? p.maxRetryDurationMs;
  p.minBackoffMs = dur('minBackoffDuration') ?? p.minBackoffMs;
  p.maxBackoffMs = dur('maxBackoffDuration') ?? p.maxBackoffMs;
  if (p.minBackoffMs > p.maxBackoffMs)
    v.add('retryConfig.minBackoffDuration', 'must not exceed maxBackoffDuration');
  return p;
}

/** The user-settable fields of a stored spec in API shape (the base an update mask applies to). */
export function specToApi(spec: JobSpec): Pick<
  Job,
  'schedule' | 'timeZone' | 'httpTarget' | 'retryConfig' | 'attemptDeadline'
> & {
  description?: string;
} {
  const t = spec.httpTarget;
  const httpTarget: HttpTarget = { uri: t.uri, httpMethod: t.httpMethod };
  if (Object.keys(t.headers).length > 0) httpTarget.headers = { ...t.headers };
  if (t.body) httpTarget.body = t.body;
  if (t.oidcToken) httpTarget.oidcToken = { ...t.oidcToken };
  if (t.oauthToken) httpTarget.oauthToken = { ...t.oauthToken };
  const r = spec.retry;
  const retryConfig: RetryConfig = {
    ...(r.retryCount > 0 ? { retryCount: r.retryCount } : {}),
    maxRetryDuration: formatDuration(r.maxRetryDurationMs),
    minBackoffDuration: formatDuration(r.minBackoffMs),
    maxBackoffDuration: formatDuration(r.maxBackoffMs),
    maxDoublings: r.maxDoublings,
  };
  return {
    ...(spec.description ? { description: spec.description } : {}),
    schedule: spec.schedule,
    timeZone: spec.timeZone,
    httpTarget,
    retryConfig,
    attemptDeadline: formatDuration(spec.attemptDeadlineMs),
  };
}

const MASKABLE = ['description', 'schedule', 'timeZone', 'httpTarget', 'retryConfig', 'attemptDeadline'];

/**
 * Applies an update: with a mask, each path (e.g. "schedule", "httpTarget.uri",
 * "retry_config.retry_count") is copied from the patch, or cleared when the patch lacks it; without a
 * mask, every top-level field present in the patch replaces the current one.
 */
export function applyUpdate(
  current: Record<string, unknown>,
  patch: Record<string, unknown>,
  mask: string[] | undefined,
): Record<string, unknown> {
  const out = structuredClone(current);
  const paths = mask ?? MASKABLE.filter((k) => patch[k] !== undefined);
  for (const raw of paths) {
    const path = raw.split('.').map((s) => s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()));
    if (!MASKABLE.includes(path[0]!)) {
      throw new TarmacError('INVALID_ARGUMENT', `updateMask path '${raw}' is not an updatable field`, {
        reason: 'INVALID_UPDATE_MASK',
        fieldViolations: [
          {
            field: 'updateMask',
            description: `'${raw}' is not one of ${MASKABLE.join(', ')} or a path below them`,
          },
        ],
      });
    }
    let src: unknown = patch;
    for (const seg of path) src = isObject(src) ? src[seg] : undefined;
    let dst = out;
    for (const seg of path.slice(0, -1)) {
      if (!isObject(dst[seg])) dst[seg] = {};
      dst = dst[seg] as Record<string, unknown>;
    }
    const last = path[path.length - 1]!;
    if (src === undefined) delete dst[last];
    else dst[last] = structuredClone(src);
  }
  return out;
}
