import type { Clock } from '../shared/index.ts';

/** In-process wake-ups for WaitOperation: resolves when an operation finishes or the timeout passes. */
export class OpWaiters {
  private readonly waiting = new Map<string, Set<() => void>>();

  constructor(private readonly clock: Clock) {}

  /** Resolves true when `id` is notified, false after `timeoutMs`. */
  wait(id: string, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const set = this.waiting.get(id) ?? new Set<() => void>();
      this.waiting.set(id, set);
      const timer = this.clock.setTimeout(() => {
        set.delete(wake);
        if (set.size === 0) this.waiting.delete(id);
        resolve(false);
      }, timeoutMs);
      const wake = (): void => {
        this.clock.clearTimeout(timer);
        resolve(true);
      };
      set.add(wake);
    });
  }

  notify(id: string): void {
    const set = this.waiting.get(id);
    if (!set) return;
    this.waiting.delete(id);
    for (const wake of set) wake();
  }

  /** Wakes every waiter (shutdown). */
  notifyAll(): void {
    for (const id of [...this.waiting.keys()]) this.notify(id);
  }
}
