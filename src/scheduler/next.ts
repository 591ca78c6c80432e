import { dayMatches, invalidSchedule, parseCron, type CronSpec } from './cron.ts';
import { firstChange, zone } from './zone.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** How far ahead a schedule is searched; Feb 29 recurs within 8 years (2096 -> 2104). */
export const HORIZON_MS = 9 * 366 * DAY;

/**
 * The first instant strictly after `after` at which the job's wall clock in `tz` shows a minute that
 * matches the schedule, or undefined if none within HORIZON_MS.
 *
 * The rule (Cloud Scheduler "runs on wall clock time"): a run is due at every UTC minute whose local
 * time matches. So when clocks spring forward, local times inside the gap never occur and do not fire
 * (a job at 02:30 skips that day); when clocks fall back, the repeated local times occur twice and fire
 * twice (a job at 01:30 runs at 01:30 EDT and again at 01:30 EST). Jobs that match every minute or
 * hour simply keep their cadence through both transitions.
 */
export function nextRun(expr: string | CronSpec, tz: string, after: number): number | undefined {
  const spec = typeof expr === 'string' ? parseCron(expr) : expr;
  const z = zone(tz);
  const horizon = after + HORIZON_MS;
  let t = Math.floor(after / MINUTE) * MINUTE + MINUTE;
  while (t <= horizon) {
    const off = z.offset(t);
    const wall = nextWall(spec, t + off, horizon + off);
    if (wall === undefined) return undefined;
    const candidate = wall - off;
    // The candidate holds only if the offset stayed the same from t up to it; otherwise restart the
    // search at the transition with the new offset.
    const change = firstChange(z, t, candidate, off);
    if (change === undefined) return candidate;
    t = change;
  }
  return undefined;
}

/** Like nextRun, but refuses schedules that never fire (e.g. "0 0 30 2 *"). */
export function validateSchedule(expr: string, tz: string, now: number): CronSpec {
  const spec = parseCron(expr);
  if (nextRun(spec, tz, now) === undefined) throw invalidSchedule(spec.source, 'the schedule never fires');
  return spec;
}

/**
 * The first wall-clock minute >= `from` (a local time expressed as if it were UTC) that matches, or
 * undefined past `limit`. Skips whole months, days and hours that cannot match.
 */
export function nextWall(spec: CronSpec, from: number, limit: number): number | undefined {
  let t = Math.ceil(from / MINUTE) * MINUTE;
  while (t <= limit) {
    const d = new Date(t);
    const month = d.getUTCMonth() + 1;
    if (!spec.months[month]) {
      t = Date.UTC(d.getUTCFullYear(), month, 1);
      continue;
    }
    if (!dayMatches(spec, d.getUTCDate(), month, d.getUTCDay())) {
      t = Date.UTC(d.getUTCFullYear(), month - 1, d.getUTCDate() + 1);
      continue;
    }
    const hour = d.getUTCHours();
    if (!spec.hours[hour]) {
      t = Math.floor(t / HOUR) * HOUR + HOUR;
      continue;
    }
    const minute = nextSet(spec.minutes, d.getUTCMinutes());
    if (minute === undefined) {
      t = Math.floor(t / HOUR) * HOUR + HOUR;
      continue;
    }
    return Math.floor(t / HOUR) * HOUR + minute * MINUTE;
  }
  return undefined;
}

function nextSet(set: readonly boolean[], from: number): number | undefined {
  for (let i = from; i < set.length; i++) if (set[i]) return i;
  return undefined;
}
