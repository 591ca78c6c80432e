import { invalidFlag } from './errors.ts';

/** `A=1,B=2` (repeatable flags give several strings) -> map; gcloud's `^;^` prefix changes the delimiter. */
export function parseKeyValues(flag: string, values: string | string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of parseList(values)) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw invalidFlag(flag, `[${item}] is not KEY=VALUE.`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** `a,b,c` (or repeated flags) -> list; `^:^a:b` uses `:` as the delimiter as in gcloud. */
export function parseList(values: string | string[] | undefined): string[] {
  if (values === undefined) return [];
  const all = Array.isArray(values) ? values : [values];
  return all.flatMap((v) => {
    const m = /^\^(.+?)\^(.*)$/s.exec(v);
    const [sep, text] = m ? [m[1]!, m[2]!] : [',', v];
    return text === '' ? [] : text.split(sep);
  });
}

/** An integer flag value within [min, max]. */
export function intFlagValue(flag: string, v: string, min: number, max: number): number {
  if (!/^\d+$/.test(v.trim()) || Number(v) < min || Number(v) > max) {
    throw invalidFlag(flag, `[${v}] must be an integer between ${min} and ${max}.`);
  }
  return Number(v);
}
