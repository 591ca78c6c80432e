import { describe, expect, it } from 'vitest';
import { dayMatches, parseCron } from './cron.ts';

const on = (set: readonly boolean[]): number[] => set.flatMap((v, i) => (v ? [i] : []));

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { reason?: string }).reason;
  }
  return undefined;
}

describe('parseCron', () => {
  it('parses stars, values, ranges, steps and lists', () => {
    const s = parseCron('*/15 9-17 1,15 * 1-5');
    expect(on(s.minutes)).toEqual([0, 15, 30, 45]);
    expect(on(s.hours)).toEqual([9, 10, 11, 12, 13, 14, 15, 16, 17]);
    expect(on(s.daysOfMonth)).toEqual([1, 15]);
    expect(on(s.months)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(on(s.daysOfWeek)).toEqual([1, 2, 3, 4, 5]);
    expect(s.domStar).toBe(false);
    expect(s.dowStar).toBe(false);
  });

  it('accepts month and day names in any case, in ranges and lists', () => {
    const s = parseCron('0 0 * jan-Mar,DEC mon-fri');
    expect(on(s.months)).toEqual([1, 2, 3, 12]);
    expect(on(s.daysOfWeek)).toEqual([1, 2, 3, 4, 5]);
    expect(on(parseCron('0 0 * * SUN,sat').daysOfWeek)).toEqual([0, 6]);
  });

  it('treats 7 as Sunday and stops * at Saturday', () => {
    expect(on(parseCron('0 0 * * 7').daysOfWeek)).toEqual([0]);
    expect(on(parseCron('0 0 * * 5-7').daysOfWeek)).toEqual([0, 5, 6]);
    expect(on(parseCron('0 0 * * *').daysOfWeek)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('steps over ranges and open starts', () => {
    expect(on(parseCron('10-30/10 * * * *').minutes)).toEqual([10, 20, 30]);
    expect(on(parseCron('0 */6 * * *').hours)).toEqual([0, 6, 12, 18]);
    expect(on(parseCron('50/5 * * * *').minutes)).toEqual([50, 55]);
    expect(on(parseCron('0 0 */10 * *').daysOfMonth)).toEqual([1, 11, 21, 31]);
  });

  it('expands macros', () => {
    expect(parseCron('@hourly').source).toBe('@hourly');
    expect(on(parseCron('@daily').hours)).toEqual([0]);
  });

  it('marks day fields that start with * as unrestricted (Vixie rule)', () => {
    expect(parseCron('0 0 */2 * 1').domStar).toBe(true);
    expect(parseCron('0 0 1 * *').dowStar).toBe(true);
  });

  it('refuses malformed expressions with INVALID_SCHEDULE', () => {
    for (const bad of [
      '* * * *',
      '* * * * * *',
      '60 * * * *',
      '* 24 * * *',
      '* * 0 * *',
      '* * * 13 *',
      '* * * * 8',
      '* * * FOO *',
      '30-10 * * * *',
      '*/0 * * * *',
      '1-2-3 * * * *',
      '*/5/2 * * * *',
      '1,,2 * * * *',
      '0 0 L * *',
      '0 0 ? * *',
      '0 0 * * 1#2',
      'every 5 minutes',
      '',
    ]) {
      expect(
        reasonOf(() => parseCron(bad)),
        bad,
      ).toBe('INVALID_SCHEDULE');
    }
  });
});

describe('dayMatches', () => {
  it('ORs day-of-month and day-of-week when both are restricted', () => {
    const s = parseCron('0 0 1 * MON');
    expect(dayMatches(s, 1, 6, 3)).toBe(true); // the 1st, a Wednesday
    expect(dayMatches(s, 8, 6, 1)).toBe(true); // a Monday
    expect(dayMatches(s, 9, 6, 2)).toBe(false);
  });

  it('ANDs them when one starts with *', () => {
    const s = parseCron('0 0 */2 * MON');
    expect(dayMatches(s, 1, 6, 1)).toBe(true);
    expect(dayMatches(s, 2, 6, 1)).toBe(false);
    expect(dayMatches(s, 3, 6, 3)).toBe(false);
  });

  it('respects months', () => {
    const s = parseCron('0 0 1 FEB *');
    expect(dayMatches(s, 1, 2, 0)).toBe(true);
    expect(dayMatches(s, 1, 3, 0)).toBe(false);
  });
});
