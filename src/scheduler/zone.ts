import { TarmacError } from '../shared/index.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;

/** A time zone's UTC offset as a function of the instant, from the tz database Node ships (ICU). */
export interface Zone {
  readonly name: string;
  /** Offset in ms such that local wall-clock time = t + offset(t). */
  offset(t: number): number;
  /** True when the offset never changes (UTC and fixed Etc zones), so no transition search is needed. */
  readonly fixed: boolean;
}

const zones = new Map<string, Zone>();

/** The error for an unknown time zone; tests assert `reason`. */
export function invalidTimeZone(name: string): TarmacError {
  return new TarmacError('INVALID_ARGUMENT', `Invalid time zone '${name}': not a tz database name`, {
    reason: 'INVALID_TIME_ZONE',
    fieldViolations: [
      { field: 'timeZone', description: `'${name}' is not a tz database name such as Europe/Berlin` },
    ],
  });
}

/** Looks up (and caches) an IANA time zone; throws INVALID_TIME_ZONE for an unknown name. */
export function zone(name: string): Zone {
  const hit = zones.get(name);
  if (hit) return hit;
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    throw invalidTimeZone(name);
  }
  const resolved = fmt.resolvedOptions().timeZone;
  const fixed = /^(UTC|Etc\/.*|GMT)$/i.test(resolved);
  const z: Zone = {
    name: resolved,
    fixed,
    offset: fixed && /^(UTC|Etc\/UTC|Etc\/GMT|GMT)$/i.test(resolved) ? () => 0 : (t) => offsetOf(fmt, t),
  };
  zones.set(name, z);
  return z;
}

function offsetOf(fmt: Intl.DateTimeFormat, t: number): number {
  const f: Record<string, number> = {};
  for (const p of fmt.formatToParts(t)) if (p.type !== 'literal') f[p.type] = Number(p.value);
  const wall = Date.UTC(f.year!, f.month! - 1, f.day!, f.hour!, f.minute!, f.second!);
  return wall - Math.floor(t / 1000) * 1000;
}

/**
 * The first whole minute in (from, to] whose offset differs from `off`, or undefined. Scans in steps
 * of at most a day and bisects the step where the offset changed (tz transitions are months apart).
 */
export function firstChange(z: Zone, from: number, to: number, off: number): number | undefined {
  if (z.fixed) return undefined;
  let lo = from;
  while (lo < to) {
    const hi = Math.min(to, lo + DAY);
    if (z.offset(hi) !== off) return bisect(z, lo, hi, off);
    lo = hi;
  }
  return undefined;
}

function bisect(z: Zone, lo: number, hi: number, off: number): number {
  // Invariant: offset(lo) === off, offset(hi) !== off. Narrow to adjacent minutes.
  let a = Math.floor(lo / MINUTE);
  let b = Math.ceil(hi / MINUTE);
  if (z.offset(b * MINUTE) === off) return hi;
  while (b - a > 1) {
    const mid = Math.floor((a + b) / 2);
    if (z.offset(mid * MINUTE) === off) a = mid;
    else b = mid;
  }
  return b * MINUTE;
}
