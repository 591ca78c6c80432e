import { SEVERITIES, type Severity } from '../model/index.ts';
/** A log entry in Cloud Logging's JSON shape, as tarmac stores and serves it. */
export interface LogEntry {
  insertId: string;
  logName: string;
  resource: { type: string; labels: Record<string, string> };
  timestamp: string;
  receiveTimestamp: string;
  severity: Severity;
  textPayload?: string;
  jsonPayload?: Record<string, unknown>;
  httpRequest?: HttpRequestLog;
  trace?: string;
  spanId?: string;
  labels?: Record<string, string>;
}

export interface HttpRequestLog {
  requestMethod: string;
  requestUrl: string;
  status: number;
  requestSize?: string;
  responseSize?: string;
  userAgent?: string;
  remoteIp?: string;
  referer?: string;
  /** Duration like "0.012s". */
  latency: string;
  protocol?: string;
}

export { SEVERITIES, type Severity };

const ALIASES: Record<string, Severity> = {
  WARN: 'WARNING',
  FATAL: 'CRITICAL',
  ERR: 'ERROR',
  TRACE: 'DEBUG',
};

/** DEFAULT=0, DEBUG=100 ... EMERGENCY=800, as Cloud Logging numbers them. */
export function severityNumber(s: Severity): number {
  return SEVERITIES.indexOf(s) * 100;
}

/** Reads a severity the way Cloud Logging's agent does: case-insensitive, common aliases. */
export function parseSeverity(v: unknown): Severity | undefined {
  if (typeof v !== 'string') return undefined;
  const up = v.trim().toUpperCase();
  if ((SEVERITIES as readonly string[]).includes(up)) return up as Severity;
  return ALIASES[up];
}

/** Log names under which Cloud Run files each kind of line. */
export const LOG_NAMES = {
  stdout: 'run.googleapis.com%2Fstdout',
  stderr: 'run.googleapis.com%2Fstderr',
  requests: 'run.googleapis.com%2Frequests',
  system: 'run.googleapis.com%2Fvarlog%2Fsystem',
} as const;

export interface RevisionResource {
  project: string;
  service: string;
  revision: string;
  location: string;
}

export function revisionResource(r: RevisionResource): LogEntry['resource'] {
  return {
    type: 'cloud_run_revision',
    labels: {
      project_id: r.project,
      service_name: r.service,
      revision_name: r.revision,
      location: r.location,
      configuration_name: r.service,
    },
  };
}

const SPECIAL = {
  severity: 'severity',
  trace: 'logging.googleapis.com/trace',
  spanId: 'logging.googleapis.com/spanId',
  labels: 'logging.googleapis.com/labels',
  insertId: 'logging.googleapis.com/insertId',
} as const;

/**
 * Turns one line a container printed into the parts of an entry, as Cloud Logging does: a JSON object
 * line becomes jsonPayload with its special fields lifted out; anything else is textPayload with
 * severity DEFAULT (stdout) or ERROR (stderr).
 */
export function parseLine(
  text: string,
  stream: 'stdout' | 'stderr',
): Pick<
  LogEntry,
  'severity' | 'textPayload' | 'jsonPayload' | 'httpRequest' | 'trace' | 'spanId' | 'labels'
> {
  const fallback: Severity = stream === 'stderr' ? 'ERROR' : 'DEFAULT';
  const trimmed = text.trimEnd();
  if (trimmed.startsWith('{') && trimmed.endsWith('}')) {
    let obj: unknown;
    try {
      obj = JSON.parse(trimmed);
    } catch {
      obj = undefined;
    }
    if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
      const payload = { ...(obj as Record<string, unknown>) };
      const out: ReturnType<typeof parseLine> = { severity: parseSeverity(payload.severity) ?? fallback };
      delete payload[SPECIAL.severity];
      if (typeof payload[SPECIAL.trace] === 'string') out.trace = payload[SPECIAL.trace] as string;
      if (typeof payload[SPECIAL.spanId] === 'string') out.spanId = payload[SPECIAL.spanId] as string;
      const labels = payload[SPECIAL.labels];
      if (labels && typeof labels === 'object') out.labels = stringMap(labels as Record<string, unknown>);
      if (payload.httpRequest && typeof payload.httpRequest === 'object') {
        out.httpRequest = payload.httpRequest as HttpRequestLog;
        delete payload.httpRequest;
      }
      for (const k of [SPECIAL.trace, SPECIAL.spanId, SPECIAL.labels, SPECIAL.insertId]) delete payload[k];
      out.jsonPayload = payload;
      return out;
    }
  }
  return { severity: fallback, textPayload: trimmed };
}

function stringMap(o: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) out[k] = String(v);
  return out;
}
