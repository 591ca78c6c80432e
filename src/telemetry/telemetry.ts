import type { Db } from '../store/index.ts';
import type { Clock } from '../shared/index.ts';
import {
  LOG_NAMES,
  parseLine,
  revisionResource,
  type HttpRequestLog,
  type RevisionResource,
  type Severity,
} from './entry.ts';
import { LogStore, type LogStoreOptions } from './log-store.ts';
import { Metrics } from './metrics.ts';
import type { RequestFacts, RequestLogTarget } from './request-entry.ts';

/** Logs and metrics for the whole platform; every subsystem writes through this one object. */
export class Telemetry {
  readonly metrics = new Metrics();
  readonly logs: LogStore;

  constructor(
    db: Db,
    private readonly clock: Clock,
    opts: LogStoreOptions = {},
  ) {
    this.logs = new LogStore(db, clock, opts);
  }

  /** One line a container printed (stdout or stderr), parsed as Cloud Logging does. */
  containerLine(
    rev: RevisionResource,
    stream: 'stdout' | 'stderr',
    text: string,
    time?: string,
    instanceId?: string,
  ): void {
    const parsed = parseLine(text, stream);
    this.logs.write({
      logName: `projects/${rev.project}/logs/${LOG_NAMES[stream]}`,
      resource: revisionResource(rev),
      ...(time ? { timestamp: time } : {}),
      ...parsed,
      labels: { ...(instanceId ? { instanceId } : {}), ...parsed.labels },
    });
  }

  /** A platform event for a revision: instance started/stopped, OOM kill, probe failure, timeout. */
  systemEvent(
    rev: RevisionResource,
    severity: Severity,
    message: string,
    labels: Record<string, string> = {},
  ): void {
    this.logs.write({
      logName: `projects/${rev.project}/logs/${LOG_NAMES.system}`,
      resource: revisionResource(rev),
      severity,
      textPayload: message,
      labels,
    });
  }

  /** The request log line the ingress writes for each request. */
  request(
    rev: RevisionResource,
    httpRequest: HttpRequestLog,
    opts: { trace?: string; instanceId?: string; coldStart?: boolean } = {},
  ): void {
    const status = httpRequest.status;
    this.logs.write({
      logName: `projects/${rev.project}/logs/${LOG_NAMES.requests}`,
      resource: revisionResource(rev),
      severity: status >= 500 ? 'ERROR' : status >= 400 ? 'WARNING' : 'INFO',
      httpRequest,
      ...(opts.trace ? { trace: opts.trace } : {}),
      labels: {
        ...(opts.instanceId ? { instanceId: opts.instanceId } : {}),
        ...(opts.coldStart ? { coldStart: 'true' } : {}),
      },
    });
  }

  /** The request log line for a finished request: recorded now, formatted when the buffer is flushed. */
  requestLine(target: RequestLogTarget, facts: RequestFacts): void {
    this.logs.writeRequest(target, facts, this.clock.now());
  }

  dispose(): void {
    this.logs.dispose();
  }
}
