import { describe, expect, it } from 'vitest';
import { FakeClock } from '../shared/index.ts';
import { nextRun, validateSchedule } from './next.ts';

const iso = (t: number | undefined): string | undefined =>
  t === undefined ? undefined : new Date(t).toISOString();
const at = (s: string): number => Date.parse(s);

/** The first `n` runs after `from`. */
function runs(expr: string, tz: string, from: string, n: number): string[] {
  const out: string[] = [];
  let t = at(from);
  for (let i = 0; i < n; i++) {
    const next = nextRun(expr, tz, t);
    if (next === undefined) break;
    out.push(iso(next)!);
    t = next;
  }
  return out;
}

describe('nextRun in UTC', () => {
  it('is strictly after `after`, on whole minutes', () => {
    expect(iso(nextRun('* * * * *', 'UTC', at('2026-01-01T00:00:00Z')))).toBe('2026-01-01T00:01:00.000Z');
    expect(iso(nextRun('* * * * *', 'Etc/UTC', at('2026-01-01T00:00:59.999Z')))).toBe(
      '2026-01-01T00:01:00.000Z',
    );
    expect(iso(nextRun('0 * * * *', 'utc', at('2026-01-01T00:00:00.001Z')))).toBe('2026-01-01T01:00:00.000Z');
  });

  it('follows a FakeClock as it moves', () => {
    const clock = new FakeClock(at('2026-05-05T10:07:30Z'));
    expect(iso(nextRun('*/5 * * * *', 'UTC', clock.now()))).toBe('2026-05-05T10:10:00.000Z');
    clock.advance(3 * 60_000);
    expect(iso(nextRun('*/5 * * * *', 'UTC', clock.now()))).toBe('2026-05-05T10:15:00.000Z');
  });

  it('skips months and days, crosses years, handles Feb 29', () => {
    expect(iso(nextRun('0 9 1 JAN *', 'UTC', at('2026-06-01T00:00:00Z')))).toBe('2027-01-01T09:00:00.000Z');
    expect(iso(nextRun('0 0 29 2 *', 'UTC', at('2026-03-01T00:00:00Z')))).toBe('2028-02-29T00:00:00.000Z');
    expect(iso(nextRun('0 0 31 * *', 'UTC', at('2026-04-01T00:00:00Z')))).toBe('2026-05-31T00:00:00.000Z');
  });

  it('combines restricted day fields with OR', () => {
    // 2026-06-01 is a Monday; the 15th is a Monday too; with OR, every Friday also fires.
    expect(runs('0 12 15 * FRI', 'UTC', '2026-06-01T00:00:00Z', 4)).toEqual([
      '2026-06-05T12:00:00.000Z',
      '2026-06-12T12:00:00.000Z',
      '2026-06-15T12:00:00.000Z',
      '2026-06-19T12:00:00.000Z',
    ]);
  });

  it('refuses a schedule that never fires', () => {
    expect(() => validateSchedule('0 0 30 2 *', 'UTC', at('2026-01-01T00:00:00Z'))).toThrow(/never fires/);
    expect(nextRun('0 0 31 4 *', 'UTC', 0)).toBeUndefined();
  });
});

describe('nextRun in America/New_York (spring 2026-03-08 02:00 EST -> 03:00 EDT, autumn 2026-11-01 02:00 EDT -> 01:00 EST)', () => {
  const tz = 'America/New_York';

  it('spring gap: a daily 02:30 run does not occur that day', () => {
    expect(runs('30 2 * * *', tz, '2026-03-07T00:00:00Z', 3)).toEqual([
      '2026-03-07T07:30:00.000Z', // 02:30 EST
      '2026-03-09T06:30:00.000Z', // 02:30 EDT, the 8th had no 02:30
      '2026-03-10T06:30:00.000Z',
    ]);
  });

  it('spring gap: half-hourly runs go 01:30 EST -> 03:00 EDT', () => {
    expect(runs('*/30 * * * *', tz, '2026-03-08T06:00:00Z', 3)).toEqual([
      '2026-03-08T06:30:00.000Z',
      '2026-03-08T07:00:00.000Z',
      '2026-03-08T07:30:00.000Z',
    ]);
  });

  it('autumn repeat: a daily 01:30 run fires in both passes of the hour', () => {
    expect(runs('30 1 * * *', tz, '2026-10-31T12:00:00Z', 3)).toEqual([
      '2026-11-01T05:30:00.000Z', // 01:30 EDT
      '2026-11-01T06:30:00.000Z', // 01:30 EST
      '2026-11-02T06:30:00.000Z',
    ]);
  });

  it('autumn repeat: an hourly run keeps its cadence', () => {
    expect(runs('0 * * * *', tz, '2026-11-01T03:30:00Z', 4)).toEqual([
      '2026-11-01T04:00:00.000Z', // 00:00 EDT
      '2026-11-01T05:00:00.000Z', // 01:00 EDT
      '2026-11-01T06:00:00.000Z', // 01:00 EST
      '2026-11-01T07:00:00.000Z', // 02:00 EST
    ]);
  });

  it('every-minute jobs fire on every UTC minute across both transitions', () => {
    for (const day of ['2026-03-08', '2026-11-01']) {
      const all = runs('* * * * *', tz, `${day}T00:00:00Z`, 24 * 60);
      expect(all).toHaveLength(1440);
      expect(all[1439]).toBe(`${nextDay(day)}T00:00:00.000Z`);
    }
  });

  it('runs at 09:00 local on both sides of a transition', () => {
    expect(runs('0 9 * * *', tz, '2026-03-07T00:00:00Z', 2)).toEqual([
      '2026-03-07T14:00:00.000Z',
      '2026-03-08T13:00:00.000Z',
    ]);
  });
});

describe('nextRun in Europe/Berlin (spring 2026-03-29 02:00 CET -> 03:00 CEST, autumn 2026-10-25 03:00 CEST -> 02:00 CET)', () => {
  const tz = 'Europe/Berlin';

  it('spring gap: 02:30 is skipped on the transition day', () => {
    expect(runs('30 2 * * *', tz, '2026-03-28T00:00:00Z', 2)).toEqual([
      '2026-03-28T01:30:00.000Z', // 02:30 CET
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
    ]);
  });

  it('spring gap: quarter-hourly runs go 01:45 CET -> 03:00 CEST', () => {
    expect(runs('*/15 * * * *', tz, '2026-03-29T00:40:00Z', 3)).toEqual([
      '2026-03-29T00:45:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-29T01:15:00.000Z',
    ]);
  });

  it('autumn repeat: 02:30 fires twice, an hour apart', () => {
    expect(runs('30 2 * * *', tz, '2026-10-24T12:00:00Z', 3)).toEqual([
      '2026-10-25T00:30:00.000Z', // 02:30 CEST
      '2026-10-25T01:30:00.000Z', // 02:30 CET
      '2026-10-26T01:30:00.000Z',
    ]);
  });

  it('autumn repeat: a job at 15 past keeps firing every hour', () => {
    expect(runs('15 * * * *', tz, '2026-10-24T23:30:00Z', 3)).toEqual([
      '2026-10-25T00:15:00.000Z',
      '2026-10-25T01:15:00.000Z',
      '2026-10-25T02:15:00.000Z',
    ]);
  });

  it('weekly and monthly schedules land on the right local time over many transitions', () => {
    expect(runs('0 8 1 * *', tz, '2026-02-15T00:00:00Z', 3)).toEqual([
      '2026-03-01T07:00:00.000Z',
      '2026-04-01T06:00:00.000Z',
      '2026-05-01T06:00:00.000Z',
    ]);
    expect(iso(nextRun('0 8 1 1 *', tz, at('2026-02-01T00:00:00Z')))).toBe('2027-01-01T07:00:00.000Z');
  });
});

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}
