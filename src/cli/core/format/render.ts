import { yaml } from '../yaml.ts';
import { applyTransform, getPath, parseFormat, type FormatSpec, type KeySpec } from './projection.ts';

/** What a command hands the printer besides its data. */
export interface PrintOptions {
  /** The `--format` the user gave, if any. */
  format?: string;
  /** What `default` means for this command: a format string or a function producing text. */
  defaultFormat?: string | ((data: unknown) => string);
  /** The resource as `--format=export` shows it (e.g. without output-only fields). */
  exportView?: (item: unknown) => unknown;
  /** Whether the data is a list of items (each a row) or one item. */
  list?: boolean;
}

/** One cell's text, as gcloud shows scalars, lists and maps in tables and values. */
export function cellText(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (Array.isArray(v)) return v.map(cellText).join(';');
  if (typeof v === 'object') {
    return Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k}=${cellText(x)}`)
      .join(';');
  }
  return String(v);
}

function cells(item: unknown, keys: KeySpec[]): unknown[] {
  return keys.map((k) => applyTransform(getPath(item, k.path), k.transform, item));
}

function sortRows(items: unknown[], keys: KeySpec[]): unknown[] {
  const sortKeys = keys.filter((k) => k.sort !== undefined).sort((a, b) => a.sort! - b.sort!);
  if (sortKeys.length === 0) return items;
  return [...items].sort((a, b) => {
    for (const k of sortKeys) {
      const x = cellText(applyTransform(getPath(a, k.path), k.transform, a));
      const y = cellText(applyTransform(getPath(b, k.path), k.transform, b));
      const c = x.localeCompare(y, undefined, { numeric: true });
      if (c !== 0) return k.reverse ? -c : c;
    }
    return 0;
  });
}

/** A gcloud table: upper-case headings, columns two spaces apart, the last column not padded. */
export function renderTable(
  rows: string[][],
  headings: string[] | undefined,
  align: KeySpec['align'][] = [],
): string {
  const all = headings ? [headings, ...rows] : rows;
  if (all.length === 0) return '';
  const n = Math.max(...all.map((r) => r.length));
  const width = Array.from({ length: n }, (_, i) => Math.max(0, ...all.map((r) => [...(r[i] ?? '')].length)));
  return all
    .map((r) =>
      r
        .map((c, i) => {
          if (i === n - 1 && align[i] !== 'right') return c;
          const pad = width[i]! - [...c].length;
          return align[i] === 'right' ? ' '.repeat(pad) + c : c + ' '.repeat(pad);
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}

function project(item: unknown, keys: KeySpec[]): unknown {
  if (keys.length === 0) return item;
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    let cur = out;
    const names = k.path.map(String);
    names.slice(0, -1).forEach((p) => {
      cur = (cur[p] ??= {}) as Record<string, unknown>;
    });
    cur[names[names.length - 1]!] = applyTransform(getPath(item, k.path), k.transform, item);
  }
  return out;
}

function flatten(v: unknown, prefix: string, out: string[]): void {
  if (v !== null && typeof v === 'object') {
    const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
    for (const [k, x] of entries)
      flatten(x, prefix ? (Array.isArray(v) ? `${prefix}[${k}]` : `${prefix}.${k}`) : k, out);
  } else out.push(`${prefix}: ${cellText(v)}`);
}

function renderSpec(spec: FormatSpec, items: unknown[], opts: PrintOptions, single: boolean): string {
  const keys = spec.keys;
  const rows = () => sortRows(items, keys).map((it) => cells(it, keys).map(cellText));
  switch (spec.name) {
    case 'none':
      return '';
    case 'json': {
      const data = items.map((it) => project(it, keys));
      return `${JSON.stringify(single ? data[0] : data, null, 2)}\n`;
    }
    case 'yaml':
    case 'export': {
      const view = spec.name === 'export' && opts.exportView ? opts.exportView : (x: unknown) => x;
      return items
        .map((it) =>
          yaml().stringify(project(view(it), keys), { lineWidth: 0, aliasDuplicateObjects: false }),
        )
        .join('---\n');
    }
    case 'table': {
      if (keys.length === 0) return renderSpec({ ...spec, name: 'flattened' }, items, opts, single);
      const headings = spec.attrs['no-heading'] ? undefined : keys.map((k) => k.label);
      const body = rows();
      if (body.length === 0) return '';
      return renderTable(
        body,
        headings,
        keys.map((k) => k.align),
      );
    }
    case 'value':
    case 'text': {
      const sep = typeof spec.attrs.separator === 'string' ? spec.attrs.separator : '\t';
      const term = typeof spec.attrs.terminator === 'string' ? spec.attrs.terminator : '\n';
      if (keys.length === 0) return items.map((it) => cellText(it) + term).join('');
      return rows()
        .map((r) => r.join(sep) + term)
        .join('');
    }
    case 'csv': {
      const sep = typeof spec.attrs.separator === 'string' ? spec.attrs.separator : ',';
      const q = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
      const lines = rows().map((r) => r.map(q).join(sep));
      if (!spec.attrs['no-heading']) lines.unshift(keys.map((k) => k.label.toLowerCase()).join(sep));
      return lines.map((l) => `${l}\n`).join('');
    }
    case 'list':
      return items.map((it) => ` - ${cellText(it)}\n`).join('');
    case 'flattened':
      return items
        .map((it) => {
          const out: string[] = [];
          flatten(project(it, keys), '', out);
          return out.join('\n') + '\n';
        })
        .join('---\n');
    default:
      return renderSpec({ ...spec, name: 'yaml' }, items, opts, single);
  }
}

/** Renders a command's result for `--format` (or the command's default format). */
export function render(data: unknown, opts: PrintOptions = {}): string {
  const list = opts.list ?? Array.isArray(data);
  const items = list ? (data as unknown[]) : [data];
  const text = opts.format?.trim() || 'default';
  if (/^default\s*$/i.test(text) || text === '') {
    const d = opts.defaultFormat ?? 'yaml';
    if (typeof d === 'function') return d(data);
    return renderSpec(parseFormat(d), items, opts, !list);
  }
  return renderSpec(parseFormat(text), items, opts, !list);
}
