import type { MetricJson } from '../client/index.ts';

/** One sample of a service's metrics, reduced from /metrics.json (cumulative counters as read). */
export interface Sample {
  t: number;
  requests: number;
  coldStarts: number;
  instances: number;
  /** Cumulative latency histogram: upper bound -> count. */
  buckets: Map<number, number>;
}

/** A point on the charts: rates and percentiles between two samples. */
export interface Point {
  t: number;
  requests: number;
  coldStarts: number;
  instances: number;
  p50: number;
  p95: number;
  p99: number;
}

function sum(metrics: MetricJson[], name: string, service: string, metricName = name): number {
  const m = metrics.find((x) => x.name === name);
  return (m?.values ?? [])
    .filter((v) => String(v.labels.service) === service && (v.metricName ?? name) === metricName)
    .reduce((n, v) => n + v.value, 0);
}

/** Reduces the platform's metrics to one service's numbers at time t. */
export function sampleOf(metrics: MetricJson[], service: string, t: number): Sample {
  const buckets = new Map<number, number>();
  const lat = metrics.find((x) => x.name === 'tarmac_request_latency_seconds');
  for (const v of lat?.values ?? []) {
    if (v.metricName !== 'tarmac_request_latency_seconds_bucket' || String(v.labels.service) !== service)
      continue;
    const le = v.labels.le === '+Inf' ? Infinity : Number(v.labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + v.value);
  }
  const inst = metrics.find((x) => x.name === 'tarmac_instances');
  const instances = (inst?.values ?? [])
    .filter(
      (v) =>
        String(v.labels.service) === service &&
        (v.labels.state === undefined ||
          v.labels.state === 'ready' ||
          v.labels.state === 'busy' ||
          v.labels.state === 'idle'),
    )
    .reduce((n, v) => n + v.value, 0);
  return {
    t,
    requests: sum(metrics, 'tarmac_requests_total', service),
    coldStarts: sum(metrics, 'tarmac_cold_starts_total', service),
    instances,
    buckets,
  };
}

/** The q-quantile (0..1) of a histogram given as cumulative counts per upper bound, in ms. */
export function quantile(buckets: Map<number, number>, q: number): number {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const total = bounds.length ? buckets.get(bounds[bounds.length - 1]!)! : 0;
  if (total <= 0) return 0;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const b of bounds) {
    const c = buckets.get(b)!;
    if (c >= rank) {
      if (!Number.isFinite(b)) return prevBound * 1000;
      const within = c - prevCount;
      const frac = within > 0 ? (rank - prevCount) / within : 1;
      return (prevBound + (b - prevBound) * frac) * 1000;
    }
    prevBound = b;
    prevCount = c;
  }
  return prevBound * 1000;
}

/** The point between two samples: deltas of counters, percentiles of the requests in between. */
export function pointBetween(a: Sample, b: Sample): Point {
  const delta = new Map<number, number>();
  for (const [le, c] of b.buckets) delta.set(le, Math.max(0, c - (a.buckets.get(le) ?? 0)));
  return {
    t: b.t,
    requests: Math.max(0, b.requests - a.requests),
    coldStarts: Math.max(0, b.coldStarts - a.coldStarts),
    instances: b.instances,
    p50: quantile(delta, 0.5),
    p95: quantile(delta, 0.95),
    p99: quantile(delta, 0.99),
  };
}
