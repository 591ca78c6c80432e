import type { Clock, TimerHandle } from '../shared/index.ts';
import type { Instance } from './instance.ts';

/** A request waiting for an instance slot (cold start, or every instance busy). */
export interface Waiter {
  grant(inst: Instance): void;
  fail(status: 429 | 503, message: string): void;
  cancelled: boolean;
  timer: TimerHandle | undefined;
}

/** What a waiter's timer asks when it fires: fail it now (429) or keep it waiting. */
export interface WaitPolicy {
  waitMs: number;
  /** The 429 message when the waiter should give up now, else undefined to wait another round. */
  expire(): string | undefined;
}

/**
 * The bounded FIFO of a revision's waiting requests. A waiter leaves exactly once: granted
 * (`next`), cancelled (client gone, timeout) or failed; cancelled entries are skipped lazily.
 */
export class WaitQueue {
  private readonly items: Waiter[] = [];
  /** Waiters still waiting. */
  size = 0;

  constructor(
    private readonly clock: Clock,
    private readonly policy: WaitPolicy,
  ) {}

  push(w: Waiter): void {
    this.items.push(w);
    this.size++;
    this.arm(w);
  }

  private arm(w: Waiter): void {
    w.timer = this.clock.setTimeout(() => {
      if (w.cancelled) return;
      const message = this.policy.expire();
      if (message === undefined) return this.arm(w);
      this.cancel(w);
      w.fail(429, message);
    }, this.policy.waitMs);
  }

  /** Forgets a waiter; false when it already left. */
  cancel(w: Waiter): boolean {
    if (w.cancelled) return false;
    w.cancelled = true;
    if (w.timer) this.clock.clearTimeout(w.timer);
    this.size--;
    return true;
  }

  /** The oldest waiter still waiting, taken out of the queue. */
  next(): Waiter | undefined {
    while (this.items.length > 0) {
      const w = this.items.shift()!;
      if (this.cancel(w)) return w;
    }
    return undefined;
  }

  /** Fails every waiter with the same status and message. */
  failAll(status: 429 | 503, message: string): void {
    for (let w = this.next(); w; w = this.next()) w.fail(status, message);
  }
}
