import { describe, expect, it } from 'vitest';
import { FakeClock } from '../shared/index.ts';
import { RetireGate } from './retire-gate.ts';

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Tracks whether a hold has let go yet. */
function watch(p: Promise<void>): { done: boolean } {
  const s = { done: false };
  void p.then(() => (s.done = true));
  return s;
}

describe('RetireGate: starts before stops', () => {
  it('holds a stop until starts have been quiet for quietMs', async () => {
    const clock = new FakeClock();
    const gate = new RetireGate(clock, 1000, 10_000);
    const end = gate.started();
    end(); // a revision just became ready: its predecessor's stop is held
    const held = watch(gate.hold('old'));
    clock.advance(500);
    await turn();
    const next = gate.started(); // the next deploy begins at once
    clock.advance(1500);
    await turn();
    expect(held.done).toBe(false);
    next();
    clock.advance(999);
    await turn();
    expect(held.done).toBe(false);
    clock.advance(1);
    await turn();
    expect(held.done).toBe(true);
  });

  it('lets go at the deadline even while starts keep coming', async () => {
    const clock = new FakeClock();
    const gate = new RetireGate(clock, 1000, 3000);
    gate.started();
    const held = watch(gate.hold('old'));
    for (let i = 0; i < 2; i++) {
      clock.advance(1000);
      await turn();
    }
    expect(held.done).toBe(false);
    clock.advance(1000);
    await turn();
    expect(held.done).toBe(true);
  });

  it('holds nothing when no start happened lately', async () => {
    const clock = new FakeClock();
    const gate = new RetireGate(clock, 1000, 10_000);
    const fresh = watch(gate.hold('a'));
    await turn();
    expect(fresh.done).toBe(true);
    gate.started()();
    clock.advance(1000);
    const later = watch(gate.hold('b'));
    await turn();
    expect(later.done).toBe(true);
  });

  it('lets an expedited stop go at once, and holds nothing with quietMs 0', async () => {
    const clock = new FakeClock();
    const gate = new RetireGate(clock, 1000, 10_000);
    gate.started();
    const a = watch(gate.hold('a'));
    const b = watch(gate.hold('b'));
    gate.expedite('a');
    await turn();
    expect([a.done, b.done]).toEqual([true, false]);
    gate.expediteAll();
    await turn();
    expect(b.done).toBe(true);
    expect(clock.pending()).toBe(0);
    const none = watch(new RetireGate(clock, 0, 10_000).hold('x'));
    await turn();
    expect(none.done).toBe(true);
  });
});
