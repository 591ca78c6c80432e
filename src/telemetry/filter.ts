import { TarmacError } from '../shared/index.ts';
import { parseSeverity, severityNumber, type LogEntry } from './entry.ts';

/**
 * A subset of the Cloud Logging query language: comparisons `field OP value` (OP one of = != > >= < <= :)
 * joined by AND (or juxtaposition), OR, NOT and parentheses.
 */
export type FilterNode =
  | { kind: 'cmp'; field: string; op: string; value: string }
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; node: FilterNode };

const TOKEN = /\s*(\(|\)|>=|<=|!=|=|>|<|:|"(?:[^"\\]|\\.)*"|[^\s()=<>!:"]+)/y;

function tokenize(text: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(text);
    if (!m) throw bad(`cannot read the filter near "${text.slice(pos, pos + 20)}"`);
    out.push(m[1]!);
    pos = TOKEN.lastIndex;
  }
  return out;
}

function bad(message: string): TarmacError {
  return new TarmacError('INVALID_ARGUMENT', `invalid filter: ${message}`, { reason: 'BAD_FILTER' });
}

const OPS = new Set(['=', '!=', '>', '>=', '<', '<=', ':']);

/** Parses a filter; an empty filter is undefined (matches everything). */
export function parseFilter(text: string | undefined): FilterNode | undefined {
  if (!text || !text.trim()) return undefined;
  const toks = tokenize(text);
  let i = 0;
  const peek = (): string | undefined => toks[i];
  const primary = (): FilterNode => {
    const t = toks[i++];
    if (t === undefined) throw bad('unexpected end');
    if (t === '(') {
      const n = orExpr();
      if (toks[i++] !== ')') throw bad('missing )');
      return n;
    }
    if (t === 'NOT' || t === '-') return { kind: 'not', node: primary() };
    const op = toks[i++];
    if (!op || !OPS.has(op)) throw bad(`expected a comparison after ${t}`);
    const v = toks[i++];
    if (v === undefined) throw bad(`missing value after ${t}${op}`);
    return { kind: 'cmp', field: t, op, value: v.startsWith('"') ? (JSON.parse(v) as string) : v };
  };
  const andExpr = (): FilterNode => {
    let left = primary();
    for (;;) {
      const t = peek();
      if (t === undefined || t === ')' || t === 'OR') return left;
      if (t === 'AND') i++;
      left = { kind: 'and', left, right: primary() };
    }
  };
  const orExpr = (): FilterNode => {
    let left = andExpr();
    while (peek() === 'OR') {
      i++;
      left = { kind: 'or', left, right: andExpr() };
    }
    return left;
  };
  const node = orExpr();
  if (i < toks.length) throw bad(`unexpected ${toks[i]}`);
  return node;
}

function fieldValue(entry: LogEntry, field: string): unknown {
  let cur: unknown = entry;
  for (const part of field.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function compare(actual: unknown, op: string, value: string, field: string): boolean {
  if (actual === undefined) return op === '!=';
  if (field === 'severity') {
    const want = parseSeverity(value);
    if (!want) throw bad(`unknown severity ${value}`);
    return cmp(severityNumber(actual as never), severityNumber(want), op);
  }
  if (field === 'timestamp' || field === 'receiveTimestamp') {
    const a = Date.parse(String(actual));
    const b = Date.parse(value);
    if (Number.isNaN(b)) throw bad(`not a timestamp: ${value}`);
    return cmp(a, b, op);
  }
  if (op === ':') {
    const hay = typeof actual === 'object' ? JSON.stringify(actual) : String(actual);
    return hay.toLowerCase().includes(value.toLowerCase());
  }
  const a = typeof actual === 'number' ? actual : String(actual);
  const b = typeof actual === 'number' ? Number(value) : value;
  return cmp(a, b, op);
}

function cmp<T extends number | string>(a: T, b: T, op: string): boolean {
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    default:
      return a === b;
  }
}

/** Whether an entry matches a parsed filter. */
export function matches(node: FilterNode | undefined, entry: LogEntry): boolean {
  if (!node) return true;
  switch (node.kind) {
    case 'cmp':
      return compare(fieldValue(entry, node.field), node.op, node.value, node.field);
    case 'and':
      return matches(node.left, entry) && matches(node.right, entry);
    case 'or':
      return matches(node.left, entry) || matches(node.right, entry);
    case 'not':
      return !matches(node.node, entry);
  }
}

/** Equality constraints that hold for every match (top-level ANDs), used to narrow the SQL scan. */
export function requiredEquals(node: FilterNode | undefined): Record<string, string> {
  if (!node) return {};
  if (node.kind === 'cmp') return node.op === '=' ? { [node.field]: node.value } : {};
  if (node.kind === 'and') return { ...requiredEquals(node.left), ...requiredEquals(node.right) };
  return {};
}

/** Bounds every match obeys (from top-level ANDed comparisons): what an index or a batch summary can skip on. */
export interface FilterBounds {
  minSeverity?: number;
  /** Milliseconds since the epoch, inclusive. */
  minTs?: number;
  maxTs?: number;
}

/** The severity and timestamp bounds a filter implies; unknown values are left to matches(). */
export function requiredBounds(node: FilterNode | undefined, out: FilterBounds = {}): FilterBounds {
  if (!node) return out;
  if (node.kind === 'and') {
    requiredBounds(node.left, out);
    return requiredBounds(node.right, out);
  }
  if (node.kind !== 'cmp') return out;
  if (node.field === 'severity' && ['=', '>=', '>'].includes(node.op)) {
    const s = parseSeverity(node.value);
    if (s) out.minSeverity = Math.max(out.minSeverity ?? 0, severityNumber(s) + (node.op === '>' ? 1 : 0));
  }
  if (node.field === 'timestamp') {
    const t = Date.parse(node.value);
    if (Number.isNaN(t)) return out;
    if (['=', '>=', '>'].includes(node.op)) out.minTs = Math.max(out.minTs ?? -Infinity, t);
    if (['=', '<=', '<'].includes(node.op)) out.maxTs = Math.min(out.maxTs ?? Infinity, t);
  }
  return out;
}

/**
 * False only when no entry whose fields in `fixed` have those values can match (three-valued:
 * comparisons on other fields are unknown). Lets a reader skip a whole packed batch unread.
 */
export function couldMatch(node: FilterNode | undefined, fixed: Record<string, string>): boolean {
  return tri(node, fixed) !== false;
}

function tri(node: FilterNode | undefined, fixed: Record<string, string>): boolean | undefined {
  if (!node) return true;
  switch (node.kind) {
    case 'cmp':
      return node.field in fixed ? compare(fixed[node.field], node.op, node.value, node.field) : undefined;
    case 'and': {
      const l = tri(node.left, fixed);
      if (l === false) return false;
      const r = tri(node.right, fixed);
      return r === false ? false : l && r ? true : undefined;
    }
    case 'or': {
      const l = tri(node.left, fixed);
      if (l === true) return true;
      const r = tri(node.right, fixed);
      return r === true ? true : l === false && r === false ? false : undefined;
    }
    case 'not': {
      const v = tri(node.node, fixed);
      return v === undefined ? undefined : !v;
    }
  }
}
