import type { Db } from '../store/index.ts';
import { severityNumber, type LogEntry } from './entry.ts';
import { RequestEntry, RequestLogTarget, type RequestFacts } from './request-entry.ts';

/** A request entry from the buffer with the sequence number its insertId ends with. */
export interface PackItem {
  e: RequestEntry;
  seq: number;
}

/**
 * One flushed batch of one revision's request logs, packed column by column (repeated strings
 * once): writing a request costs a few array pushes and a share of one JSON.stringify and one row.
 */
interface Packed {
  v: 1;
  /** Timestamps are t0 + t[i]. */
  t0: number;
  /** Distinct strings (method, user agent, remote IP, protocol, trace, instance; null = absent). */
  s: (string | null)[];
  q: number[];
  t: number[];
  u: string[];
  c: number[];
  l: number[];
  /** requestSize, responseSize per entry. */
  z: number[];
  /** Indexes into s (method, user agent, remote IP, protocol, trace, instance) and waited (0/1), 7 per entry. */
  o: number[];
}

/** A row of request_batches as the flush writes it. */
export interface BatchRow {
  project: string;
  service: string;
  revision: string;
  location: string;
  minTs: number;
  maxTs: number;
  maxSeverity: number;
  count: number;
  bytes: number;
  data: string;
}

const severityOf = (status: number): number =>
  severityNumber(status >= 500 ? 'ERROR' : status >= 400 ? 'WARNING' : 'INFO');

/** Packs buffered request entries into one row per revision. */
export function packBatches(items: PackItem[]): BatchRow[] {
  const byTarget = new Map<RequestLogTarget, PackItem[]>();
  for (const it of items) {
    const list = byTarget.get(it.e.target);
    if (list) list.push(it);
    else byTarget.set(it.e.target, [it]);
  }
  const rows: BatchRow[] = [];
  for (const [target, list] of byTarget) rows.push(packOne(target, list));
  return rows;
}

function packOne(target: RequestLogTarget, items: PackItem[]): BatchRow {
  const strings = new Map<string | undefined, number>();
  const str = (v: string | undefined): number => {
    let i = strings.get(v);
    if (i === undefined) strings.set(v, (i = strings.size));
    return i;
  };
  const t0 = items[0]!.e.ts;
  const p: Packed = { v: 1, t0, s: [], q: [], t: [], u: [], c: [], l: [], z: [], o: [] };
  let minTs = t0;
  let maxTs = t0;
  let maxStatus = 0;
  for (const { e, seq } of items) {
    const f = e.facts;
    const ts = e.ts;
    if (ts < minTs) minTs = ts;
    if (ts > maxTs) maxTs = ts;
    if (f.status > maxStatus) maxStatus = f.status;
    p.q.push(seq);
    p.t.push(ts - t0);
    p.u.push(f.url);
    p.c.push(f.status);
    p.l.push(f.latencyMs);
    p.z.push(f.requestSize, f.responseSize);
    p.o.push(
      str(f.method),
      str(f.userAgent),
      str(f.remoteIp),
      str(f.protocol),
      str(f.trace),
      str(f.instanceId),
      f.waited ? 1 : 0,
    );
  }
  p.s = [...strings.keys()].map((k) => k ?? null);
  const data = JSON.stringify(p);
  return {
    project: target.project,
    service: target.service,
    revision: target.revision,
    location: target.location,
    minTs,
    maxTs,
    maxSeverity: severityOf(maxStatus),
    count: items.length,
    bytes: data.length,
    data,
  };
}

/** One entry of a stored batch, with what orders it: (ts, batch id, index). */
export interface BatchEntry {
  ts: number;
  idx: number;
  entry: () => LogEntry;
}

/** The stored batch's entries, in index order; entries are built only when asked for. */
export function unpackBatch(
  row: { project: string; service: string; revision: string; location: string; id_prefix: string },
  data: string,
): BatchEntry[] {
  const p = JSON.parse(data) as Packed;
  const target = new RequestLogTarget(row.project, row.service, row.revision, row.location);
  const s = (i: number): string | undefined => p.s[i] ?? undefined;
  const out: BatchEntry[] = [];
  for (let i = 0; i < p.q.length; i++) {
    const ts = p.t0 + p.t[i]!;
    const o = i * 7;
    out.push({
      ts,
      idx: i,
      entry: () => {
        const facts: RequestFacts = {
          revision: row.revision,
          service: row.service,
          method: s(p.o[o]!) ?? '',
          url: p.u[i]!,
          status: p.c[i]!,
          latencyMs: p.l[i]!,
          requestSize: p.z[2 * i]!,
          responseSize: p.z[2 * i + 1]!,
          userAgent: s(p.o[o + 1]!),
          remoteIp: s(p.o[o + 2]!) ?? '',
          protocol: s(p.o[o + 3]!) ?? '',
          trace: s(p.o[o + 4]!),
          instanceId: s(p.o[o + 5]!),
          waited: p.o[o + 6] === 1,
        };
        const insertId = `${row.id_prefix}${p.q[i]!.toString(36)}`;
        return JSON.parse(new RequestEntry(target, facts, ts).json(insertId)) as LogEntry;
      },
    });
  }
  return out;
}

/** Writes packed batches (inside the flush transaction). */
export function batchInserter(db: Db, idPrefix: string): (row: BatchRow) => void {
  const insert = db.prepare(
    `INSERT INTO request_batches (project, service, revision, location, min_ts, max_ts, max_severity, count, bytes, id_prefix, data)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return (r) =>
    insert.run(
      r.project,
      r.service,
      r.revision,
      r.location,
      r.minTs,
      r.maxTs,
      r.maxSeverity,
      r.count,
      r.bytes,
      idPrefix,
      r.data,
    );
}
