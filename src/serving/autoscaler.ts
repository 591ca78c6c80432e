/**
 * The concurrency autoscaler as a pure function of the observed window and the time (Knative's
 * stable/panic model): aim for `targetUtilization` of each instance's concurrency averaged over the
 * stable window; when the short panic window shows twice the ready capacity, scale on that and do not
 * scale down until the burst has been over for a whole stable window. A revision without requests
 * for the idle period goes to its minimum (zero by default).
 */
export interface ScalingSpec {
  /** Max requests in flight per instance. */
  concurrency: number;
  targetUtilization: number;
  minInstances: number;
  maxInstances: number;
  stableWindowMs: number;
  panicWindowMs: number;
  /** Panic when panic-window demand reaches this multiple of the ready instances. */
  panicThreshold: number;
  idleTimeoutMs: number;
}

export interface Sample {
  t: number;
  /** Requests in flight plus queued (the peak of the sampling interval). */
  concurrency: number;
}

export interface ScalingWindow {
  /** Ascending by time, one per sampling interval. */
  samples: readonly Sample[];
  readyInstances: number;
  /** When the revision last had a request in flight or queued; undefined when never. */
  lastActiveAt: number | undefined;
  /** Carried from the previous decision. */
  lastPanicAt: number | undefined;
  lastDesired: number;
}

export interface ScalingDecision {
  desired: number;
  stableDesired: number;
  panicDesired: number;
  panicking: boolean;
  lastPanicAt: number | undefined;
}

export const DEFAULT_SCALING = {
  targetUtilization: 0.6,
  stableWindowMs: 60_000,
  panicWindowMs: 6_000,
  panicThreshold: 2,
  idleTimeoutMs: 900_000,
} as const;

function average(samples: readonly Sample[], from: number): number {
  let sum = 0;
  let n = 0;
  for (let i = samples.length - 1; i >= 0; i--) {
    const s = samples[i]!;
    if (s.t <= from) break;
    sum += s.concurrency;
    n++;
  }
  return n === 0 ? 0 : sum / n;
}

/** How many instances the revision should have now. */
export function decide(spec: ScalingSpec, window: ScalingWindow, now: number): ScalingDecision {
  const clamp = (n: number): number => Math.min(spec.maxInstances, Math.max(spec.minInstances, n));
  const perInstance = Math.max(0.01, spec.concurrency * spec.targetUtilization);
  const stableDesired = Math.ceil(average(window.samples, now - spec.stableWindowMs) / perInstance);
  const panicDesired = Math.ceil(average(window.samples, now - spec.panicWindowMs) / perInstance);

  const overThreshold = panicDesired >= spec.panicThreshold * Math.max(1, window.readyInstances);
  let lastPanicAt = overThreshold ? now : window.lastPanicAt;
  if (lastPanicAt !== undefined && now - lastPanicAt >= spec.stableWindowMs) lastPanicAt = undefined;
  const panicking = lastPanicAt !== undefined;

  const idle = window.lastActiveAt === undefined || now - window.lastActiveAt >= spec.idleTimeoutMs;
  let desired: number;
  if (panicking) desired = Math.max(panicDesired, window.lastDesired);
  else if (idle) desired = 0;
  else desired = Math.max(1, stableDesired);
  return { desired: clamp(desired), stableDesired, panicDesired, panicking, lastPanicAt };
}
