import type { RevisionRuntimeSpec } from '../model/index.ts';
import type { RevisionResource, Severity } from './entry.ts';
import { codeClass } from './metrics.ts';
import { RequestLogTarget, type RequestFacts } from './request-entry.ts';
import type { Telemetry } from './telemetry.ts';

/** Per revision: its request log target and its metric series, looked up once, not per request. */
interface RevisionSeries {
  target: RequestLogTarget | undefined;
  latency: { observe(v: number): void };
  counts: Map<string, { inc(): void }>;
}

const SERIES_CACHE_LIMIT = 1024;

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

  private readonly series = new Map<string, RevisionSeries>();

  /** Request metrics always; the request log entry unless `logs` is off. */
  requestHook(logs: boolean): (r: RequestFacts) => void {
    return (r) => {
      const s = this.seriesOf(r);
      s.latency.observe(r.latencyMs / 1000);
      const cc = codeClass(r.status);
      let count = s.counts.get(cc);
      if (!count) s.counts.set(cc, (count = this.t.metrics.requests.labels(r.service, r.revision, cc)));
      count.inc();
      if (logs && s.target) this.t.requestLine(s.target, r);
    };
  }

  private seriesOf(r: RequestFacts): RevisionSeries {
    let s = this.series.get(r.revision);
    if (s && s.target) return s;
    const spec = this.specOf(r.revision);
    const target = spec && new RequestLogTarget(spec.project, spec.service, spec.name, spec.region);
    if (s) {
      s.target = target;
      return s;
    }
    if (this.series.size >= SERIES_CACHE_LIMIT) this.series.clear();
    s = {
      target,
      latency: this.t.metrics.requestLatency.labels(r.service, r.revision),
      counts: new Map(),
    };
    this.series.set(r.revision, s);
    return s;
  }
}
