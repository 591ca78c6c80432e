import type { Db } from '../store/index.ts';
import { severityNumber, type LogEntry } from './entry.ts';
import { RequestEntry, RequestLogTarget, type RequestFacts } from './request-entry.ts';

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

/**
 * A revision's request entries since the last flush, kept as the packed columns themselves: a
 * request adds numbers and one URL string to arrays (repeated strings become indexes), so nothing
 * per request outlives it but those, and the flush has only to serialize.
 */
export class BatchBuilder {
  private readonly strings = new Map<string | undefined, number>();
  private readonly p: Packed;
  private minTs: number;
  private maxTs: number;
  private maxStatus = 0;
  count = 0;

  constructor(
    readonly target: RequestLogTarget,
    t0: number,
  ) {
    this.p = { v: 1, t0, s: [], q: [], t: [], u: [], c: [], l: [], z: [], o: [] };
    this.minTs = t0;
    this.maxTs = t0;
  }

  private str(v: string | undefined): number {
    let i = this.strings.get(v);
    if (i === undefined) this.strings.set(v, (i = this.strings.size));
    return i;
  }

  add(f: RequestFacts, ts: number, seq: number): void {
    const p = this.p;
    if (ts < this.minTs) this.minTs = ts;
    if (ts > this.maxTs) this.maxTs = ts;
    if (f.status > this.maxStatus) this.maxStatus = f.status;
    p.q.push(seq);
    p.t.push(ts - p.t0);
    p.u.push(f.url);
    p.c.push(f.status);
    p.l.push(f.latencyMs);
    p.z.push(f.requestSize, f.responseSize);
    p.o.push(
      this.str(f.method),
      this.str(f.userAgent),
      this.str(f.remoteIp),
      this.str(f.protocol),
      this.str(f.trace),
      this.str(f.instanceId),
      f.waited ? 1 : 0,
    );
    this.count++;
  }

  /** The row the flush writes. */
  finish(): BatchRow {
    this.p.s = [...this.strings.keys()].map((k) => k ?? null);
    const data = JSON.stringify(this.p);
    const t = this.target;
    return {
      project: t.project,
      service: t.service,
      revision: t.revision,
      location: t.location,
      minTs: this.minTs,
      maxTs: this.maxTs,
      maxSeverity: severityOf(this.maxStatus),
      count: this.count,
      bytes: data.length,
      data,
    };
  }
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
        return new RequestEntry(target, facts, ts).entry(insertId);
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
