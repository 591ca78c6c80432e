import type { Db } from '../store/index.ts';
import { TarmacError } from '../shared/index.ts';
import { LOG_NAMES, type LogEntry } from './entry.ts';
import { couldMatch, matches, requiredBounds, requiredEquals, type FilterNode } from './filter.ts';
import { unpackBatch } from './request-batches.ts';

/**
 * Where an entry sits in list order: timestamp, then the table (0 log_entries, 1 request_batches),
 * then the row id and the index inside a packed batch. Entries arrive out of timestamp order
 * (engine log lag), so the order is by time, with the rest only to break ties stably.
 */
export interface Key {
  ts: number;
  src: 0 | 1;
  id: number;
  idx: number;
}

interface Found {
  key: Key;
  entry: LogEntry;
}

export interface Query {
  filter: FilterNode | undefined;
  pageSize: number;
  asc: boolean;
  cursor: Key | undefined;
}

/** Ascending comparison of two keys. */
export function compareKeys(a: Key, b: Key): number {
  return a.ts - b.ts || a.src - b.src || a.id - b.id || a.idx - b.idx;
}

const COLUMNS: Record<string, string> = {
  'resource.labels.project_id': 'project',
  'resource.labels.service_name': 'service',
  'resource.labels.revision_name': 'revision',
};

/** SQL conditions every matching row obeys (resource labels the filter requires). */
function narrow(filter: FilterNode | undefined): { where: string; args: (string | number)[] } {
  const eq = requiredEquals(filter);
  const parts = ['1=1'];
  const args: (string | number)[] = [];
  for (const [field, col] of Object.entries(COLUMNS)) {
    if (eq[field] !== undefined) {
      parts.push(`${col} = ?`);
      args.push(eq[field]);
    }
  }
  return { where: parts.join(' AND '), args };
}

/** One page of entries from both tables, merged in key order. */
export function listPage(db: Db, q: Query): { entries: LogEntry[]; nextPageToken?: string } {
  const all = [...fromLogEntries(db, q), ...fromRequestBatches(db, q)];
  all.sort((a, b) => (q.asc ? compareKeys(a.key, b.key) : compareKeys(b.key, a.key)));
  const page = all.slice(0, q.pageSize);
  const last = page.at(-1);
  return {
    entries: page.map((f) => f.entry),
    ...(last && page.length === q.pageSize ? { nextPageToken: encodeToken(last.key) } : {}),
  };
}

/** Up to pageSize matching entries of log_entries after the cursor. */
function fromLogEntries(db: Db, q: Query): Found[] {
  const { where, args } = narrow(q.filter);
  const dir = q.asc ? 'ASC' : 'DESC';
  const bounds = requiredBounds(q.filter);
  let extra = '';
  if (bounds.minTs !== undefined) extra += ` AND ts >= ${Math.floor(bounds.minTs)}`;
  if (bounds.maxTs !== undefined) extra += ` AND ts <= ${Math.ceil(bounds.maxTs)}`;
  const sql = (after: string): string =>
    `SELECT id, ts, entry FROM log_entries WHERE ${where}${extra}${after} ORDER BY ts ${dir}, id ${dir} LIMIT 500`;
  const byTs = db.prepare(sql(q.asc ? ' AND ts > ?' : ' AND ts < ?'));
  const byTsId = db.prepare(
    sql(q.asc ? ' AND (ts > ? OR (ts = ? AND id > ?))' : ' AND (ts < ? OR (ts = ? AND id < ?))'),
  );
  const inclusive = db.prepare(sql(q.asc ? ' AND ts >= ?' : ' AND ts <= ?'));
  let cursor = q.cursor;
  const out: Found[] = [];
  for (let first = true; ; first = false) {
    let rows: { id: number; ts: number; entry: string }[];
    if (!cursor) rows = db.prepare(sql('')).all(...args) as typeof rows;
    // A cursor on a request batch entry: log_entries rows at the same ts come after it (src 0 < 1)
    // going down, before it going up.
    else if (first && cursor.src === 1)
      rows = (q.asc ? byTs : inclusive).all(...args, cursor.ts) as typeof rows;
    else rows = byTsId.all(...args, cursor.ts, cursor.ts, cursor.id) as typeof rows;
    for (const r of rows) {
      cursor = { ts: r.ts, src: 0, id: r.id, idx: 0 };
      const e = JSON.parse(r.entry) as LogEntry;
      if (!matches(q.filter, e)) continue;
      out.push({ key: cursor, entry: e });
      if (out.length === q.pageSize) return out;
    }
    if (rows.length < 500) return out;
  }
}

interface BatchMeta {
  id: number;
  min_ts: number;
  max_ts: number;
  project: string;
  service: string;
  revision: string;
  location: string;
}

/** What every entry of a batch has in common, as filter fields. */
const fixedFields = (m: BatchMeta): Record<string, string> => ({
  logName: `projects/${m.project}/logs/${LOG_NAMES.requests}`,
  'resource.type': 'cloud_run_revision',
  'resource.labels.project_id': m.project,
  'resource.labels.service_name': m.service,
  'resource.labels.revision_name': m.revision,
  'resource.labels.location': m.location,
  'resource.labels.configuration_name': m.service,
});

/**
 * Up to pageSize matching request entries after the cursor. Batches come newest max_ts first (or
 * oldest min_ts first going up); once pageSize entries are held, a batch that lies wholly beyond
 * the worst one held ends the scan.
 */
function fromRequestBatches(db: Db, q: Query): Found[] {
  const { where, args } = narrow(q.filter);
  const bounds = requiredBounds(q.filter);
  const conds = [where];
  const cargs = [...args];
  if (bounds.minSeverity !== undefined) {
    conds.push('max_severity >= ?');
    cargs.push(bounds.minSeverity);
  }
  if (bounds.minTs !== undefined || (q.asc && q.cursor)) {
    conds.push('max_ts >= ?');
    cargs.push(Math.max(bounds.minTs ?? -Infinity, q.asc && q.cursor ? q.cursor.ts : -Infinity));
  }
  if (bounds.maxTs !== undefined || (!q.asc && q.cursor)) {
    conds.push('min_ts <= ?');
    cargs.push(Math.min(bounds.maxTs ?? Infinity, !q.asc && q.cursor ? q.cursor.ts : Infinity));
  }
  const order = q.asc ? 'min_ts ASC, id ASC' : 'max_ts DESC, id DESC';
  const next = q.asc ? '(min_ts > ? OR (min_ts = ? AND id > ?))' : '(max_ts < ? OR (max_ts = ? AND id < ?))';
  const base = `SELECT id, min_ts, max_ts, project, service, revision, location FROM request_batches WHERE ${conds.join(' AND ')}`;
  const firstMeta = db.prepare(`${base} ORDER BY ${order} LIMIT 100`);
  const nextMeta = db.prepare(`${base} AND ${next} ORDER BY ${order} LIMIT 100`);
  const body = db.prepare(
    'SELECT project, service, revision, location, id_prefix, data FROM request_batches WHERE id = ?',
  );
  const better = (a: Key, b: Key): boolean => (q.asc ? compareKeys(a, b) < 0 : compareKeys(a, b) > 0);
  const afterCursor = (k: Key): boolean => !q.cursor || better(q.cursor, k);
  let held: Found[] = [];
  let metaCursor: BatchMeta | undefined;
  for (;;) {
    const metas = (
      metaCursor
        ? nextMeta.all(
            ...cargs,
            q.asc ? metaCursor.min_ts : metaCursor.max_ts,
            q.asc ? metaCursor.min_ts : metaCursor.max_ts,
            metaCursor.id,
          )
        : firstMeta.all(...cargs)
    ) as BatchMeta[];
    for (const m of metas) {
      metaCursor = m;
      const worst = held.length >= q.pageSize ? held[held.length - 1]!.key : undefined;
      if (worst && (q.asc ? m.min_ts > worst.ts : m.max_ts < worst.ts)) return held;
      if (!couldMatch(q.filter, fixedFields(m))) continue;
      const row = body.get(m.id) as Parameters<typeof unpackBatch>[0] & { data: string };
      const items = unpackBatch(row, row.data).map((b) => ({
        key: { ts: b.ts, src: 1 as const, id: m.id, idx: b.idx },
        b,
      }));
      items.sort((x, y) => (better(x.key, y.key) ? -1 : better(y.key, x.key) ? 1 : 0));
      let added = 0;
      for (const { key, b } of items) {
        if (!afterCursor(key)) continue;
        if (added >= q.pageSize || (worst && !better(key, worst))) break;
        const entry = b.entry();
        if (!matches(q.filter, entry)) continue;
        held.push({ key, entry });
        added++;
      }
      held.sort((x, y) => (better(x.key, y.key) ? -1 : better(y.key, x.key) ? 1 : 0));
      held = held.slice(0, q.pageSize);
    }
    if (metas.length < 100) return held;
  }
}

export function encodeToken(k: Key): string {
  const text = k.src === 0 ? `log:${k.ts}:${k.id}` : `req:${k.ts}:${k.id}:${k.idx}`;
  return Buffer.from(text).toString('base64url');
}

/** Reads a page token; `log:TS:ID` tokens from before request batches still work. */
export function decodeToken(token: string): Key {
  const text = Buffer.from(token, 'base64url').toString();
  const log = /^log:(-?\d+):(\d+)$/.exec(text);
  if (log) return { ts: Number(log[1]), src: 0, id: Number(log[2]), idx: 0 };
  const req = /^req:(-?\d+):(\d+):(\d+)$/.exec(text);
  if (req) return { ts: Number(req[1]), src: 1, id: Number(req[2]), idx: Number(req[3]) };
  throw new TarmacError('INVALID_ARGUMENT', 'invalid page token', { reason: 'BAD_PAGE_TOKEN' });
}
