import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RevisionStats } from '../model/index.ts';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** Every series tarmac exports, on one registry owned by the platform (no global registry). */
export class Metrics {
  readonly registry = new Registry();
  /** Read at each scrape for the load and instance gauges (set by the platform). */
  servingLoad: (() => Omit<RevisionStats, 'project'>[]) | undefined;
  // Registered before the gauges it fills: a scrape reads series in registration order.
  private readonly loadCollector = new Gauge({
    name: 'tarmac_revisions',
    help: 'Revisions with a live data plane',
    registers: [this.registry],
    collect: () => this.collectLoad(),
  });
  readonly requests = this.counter('tarmac_requests_total', 'Requests served by the ingress', [
    'service',
    'revision',
    'code_class',
  ]);
  readonly requestLatency = this.histogram(
    'tarmac_request_latency_seconds',
    'Ingress request latency',
    ['service', 'revision'],
    LATENCY_BUCKETS,
  );
  readonly inFlight = this.gauge('tarmac_requests_in_flight', 'Requests being served', [
    'service',
    'revision',
  ]);
  readonly queued = this.gauge('tarmac_requests_queued', 'Requests waiting for an instance', [
    'service',
    'revision',
  ]);
  readonly instances = this.gauge('tarmac_instances', 'Instances by state', ['service', 'revision', 'state']);
  readonly coldStarts = this.counter(
    'tarmac_cold_starts_total',
    'Instance starts that served a waiting request',
    ['service', 'revision'],
  );
  readonly coldStartDuration = this.histogram(
    'tarmac_cold_start_seconds',
    'Time from instance create to ready',
    ['service', 'revision'],
    [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
  );
  readonly oomKills = this.counter('tarmac_oom_kills_total', 'Instances killed for exceeding memory', [
    'service',
    'revision',
  ]);
  readonly startupProbeFailures = this.counter(
    'tarmac_startup_probe_failures_total',
    'Instances whose startup probe gave up (they never served)',
    ['service', 'revision'],
  );
  readonly livenessProbeFailures = this.counter(
    'tarmac_liveness_probe_failures_total',
    'Failed liveness probe attempts against ready instances',
    ['service', 'revision'],
  );
  readonly instanceRestarts = this.counter(
    'tarmac_instance_restarts_total',
    'Ready instances replaced by tarmac (reason: liveness)',
    ['service', 'revision', 'reason'],
  );
  readonly schedulerAttempts = this.counter('tarmac_scheduler_attempts_total', 'Scheduler job attempts', [
    'job',
    'result',
  ]);
  readonly registryRequests = this.counter('tarmac_registry_requests_total', 'Registry requests', [
    'method',
    'code_class',
  ]);
  readonly registryBytes = this.counter('tarmac_registry_bytes_total', 'Registry blob bytes', ['direction']);
  readonly buildDuration = this.histogram(
    'tarmac_build_duration_seconds',
    'Build durations by final status',
    ['status'],
    [1, 5, 10, 30, 60, 120, 300, 600, 1800],
  );

  /** Sets the load and instance gauges from the data plane's current figures (on each scrape). */
  private collectLoad(): void {
    const rows = this.servingLoad?.() ?? [];
    this.inFlight.reset();
    this.queued.reset();
    this.instances.reset();
    for (const r of rows) {
      const l = { service: r.service, revision: r.revision };
      this.inFlight.set(l, r.inflight);
      this.queued.set(l, r.queued);
      for (const state of ['starting', 'ready', 'draining'] as const)
        this.instances.set({ ...l, state }, r[state]);
    }
    this.loadCollector.set(rows.length);
  }

  /** Prometheus text exposition format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The same series as JSON, for the console. */
  json(): Promise<unknown> {
    return this.registry.getMetricsAsJSON();
  }

  private counter<L extends string>(name: string, help: string, labelNames: L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private gauge<L extends string>(name: string, help: string, labelNames: L[]): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  private histogram<L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    buckets: number[],
  ): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }
}

/** 2xx, 4xx, 5xx... for a status code. */
export function codeClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}
