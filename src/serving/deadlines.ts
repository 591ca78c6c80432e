import type { Clock, TimerHandle } from '../shared/index.ts';

/** Something that runs out of time. */
export interface Expiring {
  expire(): void;
}

/**
 * Request deadlines on one clock timer instead of a timer (and a closure) per request: a deadline is
 * rounded up to the next `grainMs` slot, kept in that slot's set, and the timer fires at the earliest
 * slot. So a request times out up to `grainMs` late, never early.
 */
export class Deadlines {
  private readonly slots = new Map<number, Set<Expiring>>();
  private armedAt = Infinity;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly grainMs = 100,
  ) {}

  /** Registers `x` to expire in `ms`; returns the slot to `remove` it with. */
  add(x: Expiring, ms: number): number {
    const slot = Math.ceil((this.clock.now() + ms) / this.grainMs);
    let set = this.slots.get(slot);
    if (!set) {
      set = new Set();
      this.slots.set(slot, set);
    }
    set.add(x);
    if (slot < this.armedAt) this.arm(slot);
    return slot;
  }

  remove(x: Expiring, slot: number): void {
    const set = this.slots.get(slot);
    if (!set) return;
    set.delete(x);
    if (set.size === 0) this.slots.delete(slot);
  }

  /** Deadlines pending (tests). */
  get size(): number {
    let n = 0;
    for (const s of this.slots.values()) n += s.size;
    return n;
  }

  private arm(slot: number): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.armedAt = slot;
    this.timer = this.clock.setTimeout(this.fire, slot * this.grainMs - this.clock.now());
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.armedAt = Infinity;
    const now = this.clock.now();
    const due: Set<Expiring>[] = [];
    let next = Infinity;
    for (const [slot, set] of this.slots) {
      if (slot * this.grainMs <= now) due.push(set);
      else if (slot < next) next = slot;
    }
    for (const [slot] of this.slots) if (slot * this.grainMs <= now) this.slots.delete(slot);
    if (next < this.armedAt) this.arm(next);
    for (const set of due) for (const x of set) x.expire();
  };
}
