import type { RequestRecord } from '../model/index.ts';
import { LOG_NAMES, type HttpRequestLog, type LogEntry, type Severity } from './entry.ts';

/** One finished ingress request, as serving reports it (the log entry has no use for timedOut). */
export type RequestFacts = Omit<RequestRecord, 'timedOut'>;

/**
 * An entry the log buffer keeps unformatted until it is flushed: the request path only records
 * facts it already has, and the JSON is written once, at flush time, without intermediate objects.
 */
export interface DeferredEntry {
  readonly deferred: true;
  readonly project: string;
  readonly service: string;
  readonly revision: string;
  /** Milliseconds since the epoch (timestamp and receiveTimestamp). */
  readonly ts: number;
  readonly severity: Severity;
  readonly logName: string;
  /** The stored form: the LogEntry as JSON, with this insertId. */
  json(insertId: string): string;
}

/** What a request entry needs of its revision, formatted once per revision. */
export class RequestLogTarget {
  readonly logName: string;
  /** `"logName":...,"resource":{...}` ready to splice into each entry. */
  readonly head: string;
  constructor(
    readonly project: string,
    readonly service: string,
    readonly revision: string,
    readonly location: string,
  ) {
    this.logName = `projects/${project}/logs/${LOG_NAMES.requests}`;
    const resource: LogEntry['resource'] = {
      type: 'cloud_run_revision',
      labels: {
        project_id: project,
        service_name: service,
        revision_name: revision,
        location,
        configuration_name: service,
      },
    };
    this.head = `"logName":${JSON.stringify(this.logName)},"resource":${JSON.stringify(resource)}`;
  }

  /** The entry's resource, a fresh object each time. */
  resource(): LogEntry['resource'] {
    const labels = {
      project_id: this.project,
      service_name: this.service,
      revision_name: this.revision,
      location: this.location,
      configuration_name: this.service,
    };
    return { type: 'cloud_run_revision', labels };
  }
}

const q = JSON.stringify;

/** The trace id of an X-Cloud-Trace-Context ("TRACE/SPAN;o=1") or W3C traceparent ("00-TRACE-SPAN-01"). */
export function traceId(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const w3c = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/i.exec(header.trim());
  if (w3c) return w3c[1]!.toLowerCase();
  const id = header.split('/')[0]?.split(';')[0]?.trim();
  return id || undefined;
}

/** A request log line (Cloud Run's run.googleapis.com/requests), formatted at flush time. */
export class RequestEntry implements DeferredEntry {
  readonly deferred = true;

  constructor(
    readonly target: RequestLogTarget,
    readonly facts: RequestFacts,
    readonly ts: number,
  ) {}

  get project(): string {
    return this.target.project;
  }
  get service(): string {
    return this.target.service;
  }
  get revision(): string {
    return this.target.revision;
  }
  get logName(): string {
    return this.target.logName;
  }
  get severity(): Severity {
    const s = this.facts.status;
    return s >= 500 ? 'ERROR' : s >= 400 ? 'WARNING' : 'INFO';
  }

  json(insertId: string): string {
    const r = this.facts;
    let http = `"requestMethod":${q(r.method)},"requestUrl":${q(r.url)},"status":${r.status}`;
    if (r.requestSize) http += `,"requestSize":"${r.requestSize}"`;
    http += `,"responseSize":"${r.responseSize}"`;
    if (r.userAgent) http += `,"userAgent":${q(r.userAgent)}`;
    http += `,"remoteIp":${q(r.remoteIp)},"latency":"${(r.latencyMs / 1000).toFixed(6)}s"`;
    if (r.protocol) http += `,"protocol":${q(r.protocol)}`;
    const trace = traceId(r.trace);
    const tr = trace ? `,"trace":${q(`projects/${this.target.project}/traces/${trace}`)}` : '';
    let labels = r.instanceId ? `"instanceId":${q(r.instanceId)}` : '';
    if (r.waited) labels += `${labels ? ',' : ''}"coldStart":"true"`;
    const time = new Date(this.ts).toISOString();
    return (
      `{${this.target.head},"severity":"${this.severity}","httpRequest":{${http}}${tr},"labels":{${labels}},` +
      `"timestamp":"${time}","insertId":${q(insertId)},"receiveTimestamp":"${time}"}`
    );
  }

  /** The same entry as json() gives, built as an object (what reads of stored batches use). */
  entry(insertId: string): LogEntry {
    const r = this.facts;
    // Keys in json()'s order (latency after remoteIp), so both forms serialize alike.
    const http = { requestMethod: r.method, requestUrl: r.url, status: r.status } as HttpRequestLog;
    if (r.requestSize) http.requestSize = String(r.requestSize);
    http.responseSize = String(r.responseSize);
    if (r.userAgent) http.userAgent = r.userAgent;
    http.remoteIp = r.remoteIp;
    http.latency = `${(r.latencyMs / 1000).toFixed(6)}s`;
    if (r.protocol) http.protocol = r.protocol;
    const trace = traceId(r.trace);
    const labels: Record<string, string> = {};
    if (r.instanceId) labels.instanceId = r.instanceId;
    if (r.waited) labels.coldStart = 'true';
    const time = new Date(this.ts).toISOString();
    return {
      logName: this.target.logName,
      resource: this.target.resource(),
      severity: this.severity,
      httpRequest: http,
      ...(trace ? { trace: `projects/${this.target.project}/traces/${trace}` } : {}),
      labels,
      timestamp: time,
      insertId,
      receiveTimestamp: time,
    };
  }
}
