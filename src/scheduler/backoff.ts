/** A job's retry settings in milliseconds (RetryConfig with its defaults applied). */
export interface RetryPolicy {
  retryCount: number;
  /** 0 = no duration limit. */
  maxRetryDurationMs: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  maxDoublings: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  retryCount: 0,
  maxRetryDurationMs: 0,
  minBackoffMs: 5_000,
  maxBackoffMs: 3_600_000,
  maxDoublings: 5,
};

/**
 * The wait before retry number `retry` (1 = the first retry). Cloud Scheduler's sequence: start at
 * minBackoff, double maxDoublings times, then grow linearly by 2^maxDoublings * minBackoff, capped at
 * maxBackoff. min 10 s, max 300 s, doublings 3: 10, 20, 40, 80, 160, 240, 300, 300, ...
 */
export function backoffDelay(p: RetryPolicy, retry: number): number {
  const k = Math.max(1, retry);
  const d = p.maxDoublings;
  const delay = k <= d + 1 ? p.minBackoffMs * 2 ** (k - 1) : p.minBackoffMs * 2 ** d * (k - d);
  return Math.min(delay, p.maxBackoffMs);
}

export interface RunProgress {
  /** Attempts made so far in this run (>= 1). */
  attempts: number;
  /** When the run's first attempt started. */
  firstAttemptAt: number;
  /** When the attempt that just failed ended. */
  failedAt: number;
  /** The job's next scheduled start; retries never reach it. Undefined for none. */
  nextScheduledAt: number | undefined;
}

/**
 * When the next attempt of a failed run is due, or undefined when the run is over. Retries happen
 * only with retryCount > 0. They continue while fewer than retryCount retries were made, or while the
 * retry would still start within maxRetryDuration of the first attempt (when both limits are set, the
 * run retries until both are reached). A retry never starts at or after the next scheduled run.
 */
export function nextAttemptAt(p: RetryPolicy, r: RunProgress): number | undefined {
  if (p.retryCount <= 0) return undefined;
  const retry = r.attempts; // the retry about to be scheduled is number `attempts`
  const at = r.failedAt + backoffDelay(p, retry);
  const underCount = retry <= p.retryCount;
  const underDuration = p.maxRetryDurationMs > 0 && at - r.firstAttemptAt < p.maxRetryDurationMs;
  if (!underCount && !underDuration) return undefined;
  if (r.nextScheduledAt !== undefined && at >= r.nextScheduledAt) return undefined;
  return at;
}
