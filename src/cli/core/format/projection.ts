/**
 * gcloud-style format strings: `NAME[ATTRS](KEYS)`, e.g. `table[no-heading](metadata.name:label=SERVICE,
 * status.url)`, `value(status.url)`, `json`, `yaml`. Keys are dotted paths with `[N]` indexes, an
 * optional transform (`.basename()`, `.len()`, `.join(SEP)`, `.yesno()`, `.date()`, `.segment(N)`,
 * `.firstof(a,b)`) and `:label=X`, `:sort=N`, `:reverse`, `:align=right` attributes.
 */
export interface KeySpec {
  path: (string | number)[];
  label: string;
  transform?: { name: string; args: string[] };
  sort?: number;
  reverse?: boolean;
  align?: 'left' | 'right' | 'center';
}

export interface FormatSpec {
  name: string;
  attrs: Record<string, string | true>;
  keys: KeySpec[];
}

export class FormatSyntaxError extends Error {}

/** Splits on `sep` at depth 0 (outside brackets, parentheses and quotes). */
function splitTop(text: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let cur = '';
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = '';
      cur += ch;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth--;
    if (ch === sep && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (quote || depth !== 0) throw new FormatSyntaxError(`unbalanced quotes or brackets in [${text}]`);
  out.push(cur);
  return out;
}

const unquote = (s: string): string => {
  const t = s.trim();
  return (t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'"))
    ? t.slice(1, -1)
    : t;
};

/** `latestReadyRevisionName` -> `LATEST_READY_REVISION_NAME`, as gcloud labels columns. */
export function defaultLabel(path: (string | number)[]): string {
  const last = [...path].reverse().find((p) => typeof p === 'string') ?? '';
  return String(last)
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase();
}

/** Parses `a.b[0].c` into path segments. */
export function parsePath(text: string): (string | number)[] {
  const path: (string | number)[] = [];
  const re = /([^.[\]]+)|\[(\d*)\]/g;
  for (const m of text.trim().matchAll(re)) {
    if (m[1] !== undefined) path.push(m[1]);
    else if (m[2] !== undefined && m[2] !== '') path.push(Number(m[2]));
  }
  if (path.length === 0) throw new FormatSyntaxError(`empty key in projection`);
  return path;
}

function parseKey(text: string): KeySpec {
  const [head, ...attrs] = splitTop(text.trim(), ':');
  let expr = head!.trim();
  let transform: KeySpec['transform'];
  const t = /^(.*?)\.([a-z_]+)\((.*)\)$/i.exec(expr);
  if (t && !/^\d+$/.test(t[2]!)) {
    expr = t[1]!;
    transform = { name: t[2]!, args: t[3]!.trim() === '' ? [] : splitTop(t[3]!, ',').map(unquote) };
  }
  const path = parsePath(expr);
  const key: KeySpec = { path, label: defaultLabel(path), transform };
  for (const a of attrs) {
    const eq = a.indexOf('=');
    const name = (eq === -1 ? a : a.slice(0, eq)).trim();
    const value = eq === -1 ? '' : unquote(a.slice(eq + 1));
    if (name === 'label') key.label = value;
    else if (name === 'sort') key.sort = Number(value || '1');
    else if (name === 'reverse') key.reverse = true;
    else if (name === 'align' && (value === 'left' || value === 'right' || value === 'center'))
      key.align = value;
    else if (name !== 'wrap')
      throw new FormatSyntaxError(`unknown key attribute [${name}] in [${text.trim()}]`);
  }
  return key;
}

const KNOWN = new Set([
  'json',
  'yaml',
  'table',
  'value',
  'csv',
  'export',
  'default',
  'none',
  'flattened',
  'list',
  'text',
]);

/** Parses a whole `--format` value. */
export function parseFormat(text: string): FormatSpec {
  const m = /^\s*([a-z]+)\s*(?:\[(.*?)\])?\s*(?:\((.*)\))?\s*$/is.exec(text);
  if (!m) throw new FormatSyntaxError(`cannot parse format [${text}]`);
  const name = m[1]!.toLowerCase();
  if (!KNOWN.has(name)) {
    throw new FormatSyntaxError(`unknown format [${name}]; use one of: ${[...KNOWN].join(', ')}`);
  }
  const attrs: Record<string, string | true> = {};
  if (m[2]) {
    for (const a of splitTop(m[2], ',')) {
      const eq = a.indexOf('=');
      if (a.trim() === '') continue;
      if (eq === -1) attrs[a.trim()] = true;
      else
        attrs[a.slice(0, eq).trim()] = unquote(a.slice(eq + 1))
          .replace(/\\n/g, '\n')
          .replace(/\\t/g, '\t');
    }
  }
  const keys = m[3] !== undefined && m[3].trim() !== '' ? splitTop(m[3], ',').map(parseKey) : [];
  return { name, attrs, keys };
}

/** Reads a dotted path from an object; a name segment over an array maps over its items. */
export function getPath(obj: unknown, path: (string | number)[]): unknown {
  let cur: unknown = obj;
  for (let i = 0; i < path.length; i++) {
    const p = path[i]!;
    if (cur === null || cur === undefined) return undefined;
    if (Array.isArray(cur) && typeof p === 'string') {
      const rest = path.slice(i);
      return cur.map((item) => getPath(item, rest));
    }
    if (typeof p === 'number') cur = Array.isArray(cur) ? cur[p < 0 ? cur.length + p : p] : undefined;
    else cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

/** Applies a key's transform to its raw value. */
export function applyTransform(value: unknown, t: KeySpec['transform'], row: unknown): unknown {
  if (!t) return value;
  switch (t.name) {
    case 'basename':
      return typeof value === 'string' ? value.split('/').pop() : value;
    case 'len':
      return Array.isArray(value) || typeof value === 'string' ? value.length : 0;
    case 'join':
      return Array.isArray(value) ? value.join(t.args[0] ?? ',') : value;
    case 'yesno':
      return value ? (t.args[0] ?? 'yes') : (t.args[1] ?? 'no');
    case 'segment': {
      const parts = typeof value === 'string' ? value.split('/') : [];
      const n = Number(t.args[0] ?? -1);
      return parts[n < 0 ? parts.length + n : n];
    }
    case 'date':
      return typeof value === 'string' && value ? new Date(value).toISOString().replace('.000Z', 'Z') : value;
    case 'firstof':
      return [value, ...t.args.map((a) => getPath(row, parsePath(a)))].find(
        (v) => v !== undefined && v !== '',
      );
    default:
      throw new FormatSyntaxError(`unknown transform [${t.name}()]`);
  }
}
