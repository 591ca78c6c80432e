import { TarmacError } from '../shared/index.ts';

/**
 * A parsed unix-cron expression (five fields). Each field is a membership table indexed by value.
 * `domStar`/`dowStar` follow Vixie cron: a field that starts with `*` (including `*` + step) does not
 * restrict the day, so day-of-month and day-of-week combine with AND; when both start with something
 * else they combine with OR.
 */
export interface CronSpec {
  readonly source: string;
  readonly minutes: readonly boolean[];
  readonly hours: readonly boolean[];
  /** Index 1..31. */
  readonly daysOfMonth: readonly boolean[];
  /** Index 1..12. */
  readonly months: readonly boolean[];
  /** Index 0..6, Sunday = 0 (7 in the source is folded onto 0). */
  readonly daysOfWeek: readonly boolean[];
  readonly domStar: boolean;
  readonly dowStar: boolean;
}

interface FieldDef {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** Upper end of `*` and of `a/n` (day of week accepts 7 but `*` stops at 6). */
  openMax: number;
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: readonly FieldDef[] = [
  { name: 'minute', min: 0, max: 59, openMax: 59 },
  { name: 'hour', min: 0, max: 23, openMax: 23 },
  { name: 'day of month', min: 1, max: 31, openMax: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, openMax: 12 },
  { name: 'day of week', min: 0, max: 7, names: DAY_NAMES, openMax: 6 },
];

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** The error for a schedule that does not parse; tests assert `reason`. */
export function invalidSchedule(source: string, why: string): TarmacError {
  return new TarmacError('INVALID_ARGUMENT', `Invalid schedule '${source}': ${why}`, {
    reason: 'INVALID_SCHEDULE',
    fieldViolations: [{ field: 'schedule', description: why }],
  });
}

/** Parses a unix-cron expression: names (JAN-DEC, SUN-SAT), ranges, steps, lists; `L`/`W`/`#`/`?` are refused. */
export function parseCron(expr: string): CronSpec {
  const source = expr.trim();
  const text = MACROS[source.toLowerCase()] ?? source;
  const parts = text.split(/\s+/).filter((p) => p !== '');
  if (parts.length !== 5) {
    throw invalidSchedule(
      source,
      `expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`,
    );
  }
  const sets = parts.map((p, i) => parseField(source, p, FIELDS[i]!));
  const dow = sets[4]!;
  if (dow[7]) dow[0] = true;
  return {
    source,
    minutes: sets[0]!,
    hours: sets[1]!,
    daysOfMonth: sets[2]!,
    months: sets[3]!,
    daysOfWeek: dow.slice(0, 7),
    domStar: parts[2]!.startsWith('*'),
    dowStar: parts[4]!.startsWith('*'),
  };
}

function parseField(source: string, text: string, f: FieldDef): boolean[] {
  const set: boolean[] = new Array<boolean>(f.max + 1).fill(false);
  for (const item of text.split(',')) {
    if (item === '') throw invalidSchedule(source, `empty list item in the ${f.name} field`);
    const [rangePart, stepPart, extra] = item.split('/');
    if (extra !== undefined)
      throw invalidSchedule(source, `'${item}' has more than one step in the ${f.name} field`);
    let lo: number;
    let hi: number;
    if (rangePart === '*') {
      lo = f.min;
      hi = f.openMax;
    } else {
      const bounds = rangePart!.split('-');
      if (bounds.length > 2)
        throw invalidSchedule(source, `'${item}' is not a valid range in the ${f.name} field`);
      lo = value(source, bounds[0]!, f);
      // `a/n` means a through the end of the field, stepping by n.
      hi = bounds.length === 2 ? value(source, bounds[1]!, f) : stepPart !== undefined ? f.openMax : lo;
      if (bounds.length === 2 && hi < lo) {
        throw invalidSchedule(source, `range '${rangePart}' runs backwards in the ${f.name} field`);
      }
    }
    let step = 1;
    if (stepPart !== undefined) {
      if (!/^\d+$/.test(stepPart) || Number(stepPart) < 1) {
        throw invalidSchedule(source, `step '${stepPart}' must be a positive integer in the ${f.name} field`);
      }
      step = Number(stepPart);
    }
    for (let v = lo; v <= hi; v += step) set[v] = true;
  }
  return set;
}

function value(source: string, token: string, f: FieldDef): number {
  let n: number;
  if (/^\d+$/.test(token)) n = Number(token);
  else {
    const idx = f.names?.indexOf(token.toUpperCase()) ?? -1;
    if (idx < 0) throw invalidSchedule(source, `'${token}' is not a valid ${f.name}`);
    n = idx + (f.name === 'month' ? 1 : 0);
  }
  if (n < f.min || n > f.max) {
    throw invalidSchedule(source, `${f.name} ${n} is out of range ${f.min}-${f.max}`);
  }
  return n;
}

/** Whether a calendar day matches, with Vixie cron's day-of-month / day-of-week rule. */
export function dayMatches(spec: CronSpec, dayOfMonth: number, month: number, dayOfWeek: number): boolean {
  if (!spec.months[month]) return false;
  const dom = spec.daysOfMonth[dayOfMonth] === true;
  const dow = spec.daysOfWeek[dayOfWeek] === true;
  return spec.domStar || spec.dowStar ? dom && dow : dom || dow;
}
