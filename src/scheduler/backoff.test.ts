import { describe, expect, it } from 'vitest';
import { FakeClock } from '../shared/index.ts';
import { DEFAULT_RETRY, backoffDelay, nextAttemptAt, type RetryPolicy } from './backoff.ts';

const S = 1000;
const policy = (p: Partial<RetryPolicy>): RetryPolicy => ({ ...DEFAULT_RETRY, ...p });

describe('backoffDelay', () => {
  it('doubles maxDoublings times, then grows linearly, capped at max', () => {
    const p = policy({ minBackoffMs: 10 * S, maxBackoffMs: 300 * S, maxDoublings: 3 });
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((k) => backoffDelay(p, k) / S)).toEqual([
      10, 20, 40, 80, 160, 240, 300, 300,
    ]);
  });

  it('uses the defaults 5 s / 1 h / 5 doublings', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((k) => backoffDelay(DEFAULT_RETRY, k) / S)).toEqual([
      5, 10, 20, 40, 80, 160, 320, 480,
    ]);
  });

  it('is linear with zero doublings and constant when min = max', () => {
    expect([1, 2, 3].map((k) => backoffDelay(policy({ minBackoffMs: S, maxDoublings: 0 }), k) / S)).toEqual([
      1, 2, 3,
    ]);
    expect([1, 5].map((k) => backoffDelay(policy({ minBackoffMs: S, maxBackoffMs: S }), k) / S)).toEqual([
      1, 1,
    ]);
  });
});

describe('nextAttemptAt', () => {
  /** Drives a run that always fails instantly on a FakeClock; returns the attempt start times in s. */
  function attempts(p: RetryPolicy, nextScheduledAt?: number): number[] {
    const clock = new FakeClock(0);
    const starts: number[] = [0];
    for (let n = 1; n < 100; n++) {
      const at = nextAttemptAt(p, { attempts: n, firstAttemptAt: 0, failedAt: clock.now(), nextScheduledAt });
      if (at === undefined) break;
      clock.set(at);
      starts.push(clock.now() / S);
    }
    return starts;
  }

  it('does not retry with retryCount 0, even with a duration', () => {
    expect(attempts(policy({ retryCount: 0 }))).toEqual([0]);
    expect(attempts(policy({ retryCount: 0, maxRetryDurationMs: 3600 * S }))).toEqual([0]);
  });

  it('makes retryCount retries following the backoff', () => {
    const p = policy({ retryCount: 4, minBackoffMs: 10 * S, maxBackoffMs: 300 * S, maxDoublings: 3 });
    expect(attempts(p)).toEqual([0, 10, 30, 70, 150]);
  });

  it('keeps retrying past retryCount until maxRetryDuration is also reached', () => {
    const p = policy({ retryCount: 1, maxRetryDurationMs: 100 * S, minBackoffMs: 10 * S, maxDoublings: 5 });
    expect(attempts(p)).toEqual([0, 10, 30, 70]);
  });

  it('stops at the next scheduled run', () => {
    const p = policy({ retryCount: 5, minBackoffMs: 10 * S, maxDoublings: 5 });
    expect(attempts(p, 60 * S)).toEqual([0, 10, 30]);
  });
});
