import { getPath, parsePath } from './projection.ts';

/**
 * gcloud's `--filter` expressions, the common subset: `key:pattern` (has: case-insensitive word or
 * prefix `abc*` match; `key:*` means the key is set), `key=value`, `key!=value` (whole value,
 * case-insensitive, `*` globs), `key<value` `<=` `>` `>=` (numbers as numbers), `key~regex`,
 * `key!~regex`, `key:(a b)` for any of several values, bare words matched anywhere in the item,
 * `NOT`/`-` negation, parentheses, implicit AND, `AND` and `OR` (OR binds tighter, as in gcloud).
 */
export type Predicate = (item: unknown) => boolean;

export class FilterSyntaxError extends Error {}

const OPS = ['!~', '!=', '<=', '>=', ':', '=', '<', '>', '~'] as const;
type Op = (typeof OPS)[number];

function tokenize(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '(' || ch === ')') {
      out.push(ch);
      i++;
    } else if (ch === '"' || ch === "'") {
      const end = text.indexOf(ch, i + 1);
      if (end === -1) throw new FilterSyntaxError(`unterminated quote at ${i + 1}`);
      out.push(text.slice(i, end + 1));
      i = end + 1;
    } else {
      const op = OPS.find((o) => text.startsWith(o, i));
      if (op) {
        out.push(op);
        i += op.length;
        continue;
      }
      let j = i;
      while (j < text.length && !/[\s()"':=<>~!]/.test(text[j]!)) j++;
      if (j === i) j++; // a lone `!`
      out.push(text.slice(i, j));
      i = j;
    }
  }
  return out;
}

const unquote = (t: string): string => (/^(["']).*\1$/s.test(t) ? t.slice(1, -1) : t);
const glob = (p: string): RegExp =>
  new RegExp(
    `^${p
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  );

function leaves(v: unknown): unknown[] {
  if (Array.isArray(v)) return v.flatMap(leaves);
  if (v !== null && typeof v === 'object') return Object.values(v).flatMap(leaves);
  return v === undefined || v === null ? [] : [v];
}

function has(value: unknown, pattern: string): boolean {
  const s = String(value);
  if (pattern === '*') return s !== '';
  const re = glob(pattern.includes('*') ? pattern : `${pattern}*`);
  return re.test(s) || s.split(/[^A-Za-z0-9]+/).some((w) => re.test(w));
}

function compare(value: unknown, op: Op, operand: string): boolean {
  if (value === undefined || value === null) return op === '!=' || op === '!~';
  const s = typeof value === 'boolean' ? (value ? 'true' : 'false') : String(value);
  switch (op) {
    case ':':
      return has(s, operand);
    case '=':
      return glob(operand).test(s);
    case '!=':
      return !glob(operand).test(s);
    case '~':
      return new RegExp(operand).test(s);
    case '!~':
      return !new RegExp(operand).test(s);
    default: {
      const [a, b] = [Number(s), Number(operand)];
      const c = !Number.isNaN(a) && !Number.isNaN(b) && s !== '' ? a - b : s.localeCompare(operand);
      return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
    }
  }
}

class Parser {
  private i = 0;
  constructor(private readonly t: string[]) {}

  parse(): Predicate {
    const p = this.and();
    if (this.i < this.t.length) throw new FilterSyntaxError(`unexpected [${this.t[this.i]}]`);
    return p;
  }

  private peek(): string | undefined {
    return this.t[this.i];
  }

  private and(): Predicate {
    const parts = [this.or()];
    while (this.peek() !== undefined && this.peek() !== ')') {
      if (this.peek() === 'AND') this.i++;
      parts.push(this.or());
    }
    return (x) => parts.every((p) => p(x));
  }

  private or(): Predicate {
    const parts = [this.unary()];
    while (this.peek() === 'OR') {
      this.i++;
      parts.push(this.unary());
    }
    return (x) => parts.some((p) => p(x));
  }

  private unary(): Predicate {
    const tok = this.peek();
    if (tok === 'NOT' || tok === '-') {
      this.i++;
      const p = this.unary();
      return (x) => !p(x);
    }
    if (tok?.startsWith('-') && tok.length > 1) {
      this.t[this.i] = tok.slice(1);
      const p = this.unary();
      return (x) => !p(x);
    }
    if (tok === '(') {
      this.i++;
      const p = this.and();
      if (this.t[this.i++] !== ')') throw new FilterSyntaxError('missing [)]');
      return p;
    }
    return this.term();
  }

  private term(): Predicate {
    const key = this.t[this.i++];
    if (key === undefined) throw new FilterSyntaxError('expression expected');
    const op = this.peek() as Op | undefined;
    if (!op || !OPS.includes(op)) {
      const word = unquote(key);
      return (x) => leaves(x).some((v) => has(v, word));
    }
    this.i++;
    let operands: string[];
    if (this.peek() === '(') {
      this.i++;
      operands = [];
      while (this.peek() !== ')') {
        const v = this.t[this.i++];
        if (v === undefined) throw new FilterSyntaxError('missing [)]');
        if (v !== 'OR' && v !== ',') operands.push(unquote(v));
      }
      this.i++;
    } else {
      const v = this.t[this.i++];
      if (v === undefined) throw new FilterSyntaxError(`a value is expected after [${key}${op}]`);
      operands = [unquote(v)];
    }
    const path = parsePath(key);
    const negative = op === '!=' || op === '!~';
    return (x) => {
      const raw = getPath(x, path);
      const values = Array.isArray(raw) ? raw.flat(Infinity) : [raw];
      const test = (v: unknown): boolean => operands.some((o) => compare(v, op, o));
      return negative ? values.every(test) : values.some(test);
    };
  }
}

/** Compiles a `--filter` expression into a predicate over items. */
export function parseFilter(text: string): Predicate {
  const tokens = tokenize(text);
  if (tokens.length === 0) return () => true;
  return new Parser(tokens).parse();
}

/** `--sort-by=a,~b`: a comparator sorting by each field in turn (`~` descending). */
export function sortBy(fields: string[]): (a: unknown, b: unknown) => number {
  const keys = fields
    .flatMap((f) => f.split(','))
    .map((f) => f.trim())
    .filter(Boolean)
    .map((f) => ({ desc: f.startsWith('~'), path: parsePath(f.replace(/^~/, '')) }));
  return (a, b) => {
    for (const k of keys) {
      const [x, y] = [getPath(a, k.path), getPath(b, k.path)];
      const c =
        typeof x === 'number' && typeof y === 'number'
          ? x - y
          : String(x ?? '').localeCompare(String(y ?? ''), undefined, { numeric: true });
      if (c !== 0) return k.desc ? -c : c;
    }
    return 0;
  };
}
