import type { Build } from '../model/index.ts';
import { TarmacError } from '../shared/index.ts';

type Op = '=' | '!=' | '<' | '<=' | '>' | '>=' | ':';
interface Term {
  field: string;
  op: Op;
  value: string;
}

const FIELDS: Record<string, (b: Build) => string[]> = {
  id: (b) => [b.id],
  build_id: (b) => [b.id],
  status: (b) => [b.status],
  images: (b) => b.images,
  results_images: (b) => (b.results?.images ?? []).map((i) => i.name),
  tags: (b) => b.tags ?? [],
  project_id: (b) => [b.projectId],
  create_time: (b) => [b.createTime],
  start_time: (b) => (b.startTime ? [b.startTime] : []),
  finish_time: (b) => (b.finishTime ? [b.finishTime] : []),
  source_storage_source_bucket: (b) => [b.source.storageSource.bucket],
  source_storage_source_object: (b) => [b.source.storageSource.object],
};

const TERM_RE = /^\s*([A-Za-z_.]+)\s*(!=|<=|>=|=|<|>|:)\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"]+))\s*/;

const fieldKey = (f: string): string =>
  f
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .replace(/\./g, '_')
    .toLowerCase();

/** Parses Cloud Build's list filter: `field OP value` terms joined by AND / OR (AND binds tighter). */
export function parseBuildFilter(text: string | undefined): (b: Build) => boolean {
  if (!text || !text.trim()) return () => true;
  const groups: Term[][] = [[]];
  let rest = text;
  for (;;) {
    const m = TERM_RE.exec(rest);
    if (!m) throw bad(text);
    const field = fieldKey(m[1]!);
    if (!FIELDS[field]) throw bad(text, `unknown field ${m[1]}`);
    groups[groups.length - 1]!.push({
      field,
      op: m[2] as Op,
      value: (m[3] ?? m[4]!).replace(/\\(.)/g, '$1'),
    });
    rest = rest.slice(m[0].length);
    if (!rest.trim()) break;
    const conj = /^(AND|OR)\s+/i.exec(rest);
    if (!conj) throw bad(text);
    if (conj[1]!.toUpperCase() === 'OR') groups.push([]);
    rest = rest.slice(conj[0].length);
  }
  return (b) => groups.some((g) => g.every((t) => matches(FIELDS[t.field]!(b), t)));
}

function matches(values: string[], t: Term): boolean {
  const cmp = (v: string): boolean => {
    switch (t.op) {
      case '=':
      case ':':
        return v === t.value;
      case '!=':
        return v !== t.value;
      case '<':
        return v < t.value;
      case '<=':
        return v <= t.value;
      case '>':
        return v > t.value;
      case '>=':
        return v >= t.value;
    }
  };
  return t.op === '!=' ? values.every(cmp) : values.some(cmp);
}

function bad(text: string, why = 'expected terms like status="SUCCESS" joined by AND/OR'): TarmacError {
  return new TarmacError('INVALID_ARGUMENT', `invalid filter ${JSON.stringify(text)}: ${why}`, {
    reason: 'BAD_FILTER',
    fieldViolations: [{ field: 'filter', description: why }],
  });
}
