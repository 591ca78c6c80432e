import type { RevisionRuntimeSpec } from '../model/index.ts';
import type { RevisionResource, Severity } from './entry.ts';
import { codeClass } from './metrics.ts';
import type { Telemetry } from './telemetry.ts';

/** One finished ingress request, as serving reports it (structurally serving's RequestRecord). */
export interface RequestFacts {
  revision: string;
  service: string;
  method: string;
  url: string;
  status: number;
  latencyMs: number;
  responseSize: number;
  requestSize?: number;
  protocol?: string;
  userAgent: string | undefined;
  remoteIp: string;
  instanceId: string | undefined;
  waited: boolean;
  trace: string | undefined;
}

/** A line an instance printed (structurally runtime's LogLine). */
export interface PrintedLine {
  stream: 'stdout' | 'stderr';
  time: string;
  text: string;
}

function resourceOf(spec: RevisionRuntimeSpec): RevisionResource {
  return { project: spec.project, service: spec.service, revision: spec.name, location: spec.region };
}

/**
 * The hooks serving calls (its ServingObserver and request hook), turned into log entries and
 * metrics. Every method only appends to the bounded log buffer or bumps a counter: no I/O.
 */
export class ServingHooks {
  constructor(
    private readonly t: Telemetry,
    /** Maps a live revision's name to its spec (system lines and requests carry only the name). */
    private readonly specOf: (revision: string) => RevisionRuntimeSpec | undefined,
  ) {}

  instanceLog(spec: RevisionRuntimeSpec, instanceId: string, line: PrintedLine): void {
    this.t.containerLine(resourceOf(spec), line.stream, line.text, line.time, instanceId);
  }

  instanceStarted(spec: RevisionRuntimeSpec, _instanceId: string, durationMs: number, cold: boolean): void {
    if (!cold) return;
    const labels = { service: spec.service, revision: spec.name };
    this.t.metrics.coldStarts.inc(labels);
    this.t.metrics.coldStartDuration.observe(labels, durationMs / 1000);
  }

  instanceOomKilled(spec: RevisionRuntimeSpec): void {
    this.t.metrics.oomKills.inc({ service: spec.service, revision: spec.name });
  }

  probeFailed(spec: RevisionRuntimeSpec, _instanceId: string, probe: 'startup' | 'liveness'): void {
    const labels = { service: spec.service, revision: spec.name };
    if (probe === 'startup') this.t.metrics.startupProbeFailures.inc(labels);
    else this.t.metrics.livenessProbeFailures.inc(labels);
  }

  instanceRestarted(spec: RevisionRuntimeSpec, _instanceId: string, reason: 'liveness'): void {
    this.t.metrics.instanceRestarts.inc({ service: spec.service, revision: spec.name, reason });
  }

  /** A serving system line (instance started/stopped, OOM kill, probe failure, timeout). */
  readonly systemLog = (revision: string, severity: Severity, text: string): void => {
    const s = this.specOf(revision);
    if (s) this.t.systemEvent(resourceOf(s), severity, text);
  };

  /** Request metrics always; the request log entry unless `logs` is off. */
  requestHook(logs: boolean): (r: RequestFacts) => void {
    return (r) => {
      const m = this.t.metrics;
      m.requests.inc({ service: r.service, revision: r.revision, code_class: codeClass(r.status) });
      m.requestLatency.observe({ service: r.service, revision: r.revision }, r.latencyMs / 1000);
      if (logs) this.requestLog(r);
    };
  }

  private requestLog(r: RequestFacts): void {
    const s = this.specOf(r.revision);
    if (!s) return;
    const trace = traceId(r.trace);
    this.t.request(
      resourceOf(s),
      {
        requestMethod: r.method,
        requestUrl: r.url,
        status: r.status,
        ...(r.requestSize ? { requestSize: String(r.requestSize) } : {}),
        responseSize: String(r.responseSize),
        ...(r.userAgent ? { userAgent: r.userAgent } : {}),
        remoteIp: r.remoteIp,
        latency: `${(r.latencyMs / 1000).toFixed(6)}s`,
        ...(r.protocol ? { protocol: r.protocol } : {}),
      },
      {
        ...(trace ? { trace: `projects/${s.project}/traces/${trace}` } : {}),
        ...(r.instanceId ? { instanceId: r.instanceId } : {}),
        coldStart: r.waited,
      },
    );
  }
}

/** The trace id of an X-Cloud-Trace-Context ("TRACE/SPAN;o=1") or W3C traceparent ("00-TRACE-SPAN-01"). */
export function traceId(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const w3c = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/i.exec(header.trim());
  if (w3c) return w3c[1]!.toLowerCase();
  const id = header.split('/')[0]?.split(';')[0]?.trim();
  return id || undefined;
}
