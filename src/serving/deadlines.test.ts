import { describe, expect, it } from 'vitest';
import { FakeClock } from '../shared/index.ts';
import { Deadlines } from './deadlines.ts';

describe('Deadlines', () => {
  it('expires each deadline once, within one grain after it and never before', () => {
    const clock = new FakeClock(1_000_000);
    const d = new Deadlines(clock, 100);
    const fired: string[] = [];
    const at = (name: string) => ({ expire: () => fired.push(`${name}@${clock.now() - 1_000_000}`) });
    d.add(at('a'), 1000);
    d.add(at('b'), 250);
    const c = at('c');
    const slot = d.add(c, 500);
    d.add(at('d'), 1050);
    d.remove(c, slot);
    clock.advance(249);
    expect(fired).toEqual([]);
    clock.advance(2000);
    expect(fired).toEqual(['b@300', 'a@1000', 'd@1100']);
    expect(d.size).toBe(0);
  });

  it('arms earlier for a deadline added before the armed one, and takes new ones from expire()', () => {
    const clock = new FakeClock(0);
    const d = new Deadlines(clock, 100);
    const fired: number[] = [];
    d.add({ expire: () => fired.push(clock.now()) }, 5000);
    d.add(
      {
        expire: () => {
          fired.push(clock.now());
          d.add({ expire: () => fired.push(clock.now()) }, 200);
        },
      },
      1000,
    );
    clock.advance(6000);
    expect(fired).toEqual([1000, 1200, 5000]);
  });
});
