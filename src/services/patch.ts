import { SERVICE_OUTPUT_ONLY } from '../model/index.ts';
import { TarmacError } from '../shared/index.ts';

type Obj = Record<string, unknown>;

// The name is the resource's identity: a body cannot change it either.
const OUTPUT_ONLY = new Set<string>(['name', ...SERVICE_OUTPUT_ONLY]);

const camel = (s: string): string => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** Splits an updateMask ("template,traffic" or "template.containers") into camelCase paths. */
export function parseMask(mask: string | null | undefined): string[] {
  if (!mask) return [];
  return mask
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => p.split('.').map(camel).join('.'));
}

/**
 * Applies an update to a stored spec: without a mask the body replaces every user field; with one,
 * only the named paths change (a path absent from the body is cleared). Output-only fields are ignored.
 */
export function applyUpdate(current: Obj, body: Obj, mask: string[]): Obj {
  if (mask.length === 0) {
    return Object.fromEntries(Object.entries(body).filter(([k]) => !OUTPUT_ONLY.has(k)));
  }
  const next = structuredClone(current);
  for (const path of mask) {
    if (path === '*') return applyUpdate(current, body, []);
    const keys = path.split('.');
    if (OUTPUT_ONLY.has(keys[0]!)) {
      throw new TarmacError('INVALID_ARGUMENT', `updateMask path ${path} names an output-only field`, {
        reason: 'INVALID_UPDATE_MASK',
        fieldViolations: [{ field: 'updateMask', description: `${path} is output only` }],
      });
    }
    setPath(next, keys, getPath(body, keys));
  }
  return next;
}

function getPath(o: Obj, keys: string[]): unknown {
  let cur: unknown = o;
  for (const k of keys) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Obj)[k];
  }
  return cur;
}

function setPath(o: Obj, keys: string[], value: unknown): void {
  let cur = o;
  for (const k of keys.slice(0, -1)) {
    const nextVal = cur[k];
    if (typeof nextVal !== 'object' || nextVal === null || Array.isArray(nextVal)) cur[k] = {};
    cur = cur[k] as Obj;
  }
  const last = keys[keys.length - 1]!;
  if (value === undefined) delete cur[last];
  else cur[last] = structuredClone(value);
}
