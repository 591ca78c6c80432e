import { describe, expect, it } from 'vitest';
import { FakeClock } from '../shared/index.ts';
import { DEFAULT_SCALING, decide, type Sample, type ScalingSpec, type ScalingWindow } from './autoscaler.ts';

const spec: ScalingSpec = { ...DEFAULT_SCALING, concurrency: 10, minInstances: 0, maxInstances: 100 };

/** Drives decide() once a second on a fake clock with a demand curve, like the revision loop does. */
function simulate(
  s: ScalingSpec,
  demand: (second: number) => number,
  seconds: number,
  ready: (desired: number) => number = (d) => d,
): { desired: number[]; panicking: boolean[] } {
  const clock = new FakeClock();
  const samples: Sample[] = [];
  const w: ScalingWindow = {
    samples,
    readyInstances: 0,
    lastActiveAt: undefined,
    lastPanicAt: undefined,
    lastDesired: 0,
  };
  const out = { desired: [] as number[], panicking: [] as boolean[] };
  for (let i = 0; i < seconds; i++) {
    clock.advance(1000);
    const c = demand(i);
    samples.push({ t: clock.now(), concurrency: c });
    if (c > 0) w.lastActiveAt = clock.now();
    const d = decide(s, w, clock.now());
    w.lastPanicAt = d.lastPanicAt;
    w.lastDesired = d.desired;
    w.readyInstances = ready(d.desired);
    out.desired.push(d.desired);
    out.panicking.push(d.panicking);
  }
  return out;
}

describe('autoscaler decide', () => {
  it('targets 60 % of concurrency over the stable window', () => {
    const r = simulate(spec, () => 30, 120);
    expect(r.desired.at(-1)).toBe(5); // 30 / (10 * 0.6)
    expect(r.panicking.at(-1)).toBe(false);
  });

  it('panics on a burst of twice the capacity and scales on the 6 s window', () => {
    const r = simulate(spec, (s) => (s < 70 ? 6 : 60), 77);
    expect(r.desired[65]).toBe(1);
    expect(r.panicking[70]).toBe(true);
    expect(r.desired.at(-1)).toBe(10); // panic window: 60 / 6
  });

  it('does not scale down while panicking, and returns to stable a window later', () => {
    const r = simulate(spec, (s) => (s >= 10 && s < 20 ? 60 : 6), 150);
    expect(r.desired[19]).toBe(10);
    expect(r.desired[40]).toBe(10); // still in panic: no scale down
    expect(r.panicking[85]).toBe(false);
    expect(r.desired[140]).toBe(1);
  });

  it('goes to zero after the idle period and respects min and max', () => {
    const idleSpec = { ...spec, idleTimeoutMs: 30_000 };
    const r = simulate(idleSpec, (s) => (s < 5 ? 3 : 0), 40);
    expect(r.desired[20]).toBe(1);
    expect(r.desired[39]).toBe(0);
    expect(simulate({ ...idleSpec, minInstances: 2 }, () => 0, 40).desired.at(-1)).toBe(2);
    expect(simulate({ ...spec, maxInstances: 3 }, () => 500, 20).desired.at(-1)).toBe(3);
  });

  it('is pure: the same window and time give the same answer', () => {
    const w: ScalingWindow = {
      samples: [{ t: 1000, concurrency: 12 }],
      readyInstances: 1,
      lastActiveAt: 1000,
      lastPanicAt: undefined,
      lastDesired: 1,
    };
    expect(decide(spec, w, 1500)).toEqual(decide(spec, w, 1500));
    expect(decide(spec, w, 1500).desired).toBe(2);
  });
});
