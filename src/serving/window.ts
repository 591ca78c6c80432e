import { decide, type Sample, type ScalingDecision, type ScalingSpec } from './autoscaler.ts';

/**
 * The autoscaler's memory for one revision: demand samples over the stable window (each the peak
 * seen since the previous round), when it was last active, the panic start and the last decision.
 * `round` feeds the pure `decide` and keeps its outputs.
 */
export class ScalingWindow {
  private peak = 0;
  private readonly samples: Sample[] = [];
  private lastActiveAt: number | undefined;
  private lastPanicAt: number | undefined;
  /** The instance count of the last decision. */
  lastDesired = 0;

  constructor(
    private readonly spec: ScalingSpec,
    now: number,
  ) {
    this.lastActiveAt = now;
  }

  /** Remembers the highest demand between rounds, so short bursts count. */
  noteDemand(demand: number): void {
    if (demand > this.peak) this.peak = demand;
  }

  /** A request finished: the revision was active now. */
  touch(now: number): void {
    this.lastActiveAt = now;
  }

  /** One autoscaler round at `now` with the current demand and ready instances. */
  round(demand: number, readyInstances: number, now: number): ScalingDecision {
    this.samples.push({ t: now, concurrency: Math.max(this.peak, demand) });
    this.peak = demand;
    if (demand > 0) this.lastActiveAt = now;
    while (this.samples.length > 0 && this.samples[0]!.t <= now - this.spec.stableWindowMs)
      this.samples.shift();
    const d = decide(
      this.spec,
      {
        samples: this.samples,
        readyInstances,
        lastActiveAt: this.lastActiveAt,
        lastPanicAt: this.lastPanicAt,
        lastDesired: this.lastDesired,
      },
      now,
    );
    this.lastPanicAt = d.lastPanicAt;
    this.lastDesired = d.desired;
    return d;
  }
}
