import type { Clock, TimerHandle } from '../shared/index.ts';
import type { Attempt } from './attempt.ts';

/** Attempts of one deadline length, in firing order, hence in deadline order. */
interface Queue {
  ms: number;
  items: Attempt[];
  /** Items before it are over or were cut. */
  head: number;
  live: number;
  timer?: TimerHandle;
}

/** Over-and-done entries tolerated in a queue (beyond twice the live ones) before it is compacted. */
const SLACK = 256;

/**
 * The attempts in flight and their deadlines: one Clock timer per distinct deadline length (180 s by
 * default), armed for the earliest, instead of a timer per attempt. Attempts are fired in clock order,
 * so each length's queue is ordered by deadline and expiring is a walk from its head.
 */
export class Deadlines {
  private readonly queues = new Map<number, Queue>();

  constructor(private readonly clock: Clock) {}

  add(a: Attempt): void {
    let q = this.queues.get(a.deadlineMs);
    if (!q) this.queues.set(a.deadlineMs, (q = { ms: a.deadlineMs, items: [], head: 0, live: 0 }));
    a.tracked = true;
    q.items.push(a);
    q.live++;
    if (!q.timer) this.arm(q, a.expiresAt);
  }

  /** An attempt is over: forget it (a queue with nothing live is dropped with its timer). */
  remove(a: Attempt): void {
    const q = this.queues.get(a.deadlineMs);
    if (!q) return;
    q.live--;
    if (q.live <= 0) {
      if (q.timer) this.clock.clearTimeout(q.timer);
      this.queues.delete(a.deadlineMs);
    } else if (q.items.length - q.head > 2 * q.live + SLACK) {
      q.items = q.items.filter((x, i) => i >= q.head && !x.over);
      q.head = 0;
    }
  }

  /** Every attempt in flight. */
  live(): Attempt[] {
    const out: Attempt[] = [];
    for (const q of this.queues.values()) {
      for (let i = q.head; i < q.items.length; i++) if (!q.items[i]!.over) out.push(q.items[i]!);
    }
    return out;
  }

  dispose(): void {
    for (const q of this.queues.values()) if (q.timer) this.clock.clearTimeout(q.timer);
    this.queues.clear();
  }

  private arm(q: Queue, at: number): void {
    q.timer = this.clock.setTimeout(() => this.expire(q), at - this.clock.now());
  }

  private expire(q: Queue): void {
    q.timer = undefined;
    const now = this.clock.now();
    const expired: Attempt[] = [];
    while (q.head < q.items.length) {
      const a = q.items[q.head]!;
      if (!a.over && a.expiresAt > now) break;
      if (!a.over) expired.push(a);
      q.head++;
    }
    // Cutting calls remove(), which may compact or drop this queue: walk first, cut after.
    for (const a of expired) a.cut('deadline');
    if (this.queues.get(q.ms) !== q || q.timer) return;
    while (q.head < q.items.length && q.items[q.head]!.over) q.head++;
    if (q.head < q.items.length) this.arm(q, q.items[q.head]!.expiresAt);
  }
}
