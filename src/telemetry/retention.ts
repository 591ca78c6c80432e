import type { Db } from '../store/index.ts';

/** Limits a revision's stored logs by age, entry count and bytes (the serialized entries). */
export interface RetentionLimits {
  maxAgeMs: number;
  maxPerRevision: number;
  maxBytesPerRevision: number;
}

/** Rows removed per step: a step is one short transaction, so the event loop is never held long. */
const CHUNK = 2000;
/** A revision over a limit is trimmed 10 % below it, so trimming is not redone at every flush. */
const lowWater = (limit: number): number => limit - Math.floor(limit / 10);

interface Usage {
  bytes: number;
  entries: number;
}

/** A stored row as retention sees it: a log entry (src 0) or a packed request batch of n entries (src 1). */
interface Stored {
  src: 0 | 1;
  id: number;
  revision: string;
  ts: number;
  bytes: number;
  n: number;
}

const upsertStatement = (db: Db) =>
  db.prepare<[string, number, number], Usage>(
    `INSERT INTO log_usage (revision, bytes, entries) VALUES (?, ?, ?)
     ON CONFLICT(revision) DO UPDATE SET bytes = bytes + excluded.bytes, entries = entries + excluded.entries
     RETURNING bytes, entries`,
  );

/**
 * Retention bookkeeping: per-revision totals kept in `log_usage` (updated in the flush transaction),
 * so finding the revisions over a limit never scans the log table; trimming runs in bounded steps.
 */
export class LogRetention {
  private readonly upsert: ReturnType<typeof upsertStatement>;

  constructor(
    private readonly db: Db,
    readonly limits: RetentionLimits,
  ) {
    this.upsert = upsertStatement(db);
  }

  /** Adds a flushed batch's totals (inside the flush transaction); true when a revision is now over a limit. */
  record(batch: Map<string, Usage>): boolean {
    let over = false;
    for (const [revision, u] of batch) {
      const now = this.upsert.get(revision, u.bytes, u.entries)!;
      if (now.bytes > this.limits.maxBytesPerRevision || now.entries > this.limits.maxPerRevision)
        over = true;
    }
    return over;
  }

  /** Current totals of one revision (tests, metrics). */
  usage(revision: string): Usage {
    const row = this.db.prepare('SELECT bytes, entries FROM log_usage WHERE revision = ?').get(revision);
    return (row as Usage | undefined) ?? { bytes: 0, entries: 0 };
  }

  /**
   * The whole sweep as steps of at most CHUNK deleted rows each: entries older than the age limit,
   * then the oldest entries of every revision over its byte or entry budget. Yields the rows removed.
   */
  *steps(now: number): Generator<number> {
    const cutoff = now - this.limits.maxAgeMs;
    for (;;) {
      const n = this.expireChunk(cutoff);
      if (n > 0) yield n;
      if (n < CHUNK) break;
    }
    const { maxBytesPerRevision: maxBytes, maxPerRevision: maxEntries } = this.limits;
    const over = this.db
      .prepare('SELECT revision FROM log_usage WHERE bytes > ? OR entries > ?')
      .all(maxBytes, maxEntries) as { revision: string }[];
    for (const { revision } of over) {
      const bytesTarget = lowWater(maxBytes);
      const entriesTarget = lowWater(maxEntries);
      for (;;) {
        const { removed, more } = this.trimChunk(revision, bytesTarget, entriesTarget);
        if (removed > 0) yield removed;
        if (!more) break;
      }
    }
    this.db.prepare('DELETE FROM log_usage WHERE entries <= 0').run();
  }

  /** Deletes up to CHUNK entries (or packed request batches) older than the cutoff. */
  private expireChunk(cutoff: number): number {
    const rows = [
      ...(this.db
        .prepare(
          'SELECT 0 AS src, id, revision, bytes, 1 AS n FROM log_entries WHERE ts < ? ORDER BY ts LIMIT ?',
        )
        .all(cutoff, CHUNK) as Stored[]),
      // A batch goes once its newest entry is past the cutoff.
      ...(this.db
        .prepare(
          'SELECT 1 AS src, id, revision, bytes, count AS n FROM request_batches WHERE max_ts < ? ORDER BY max_ts LIMIT ?',
        )
        .all(cutoff, CHUNK) as Stored[]),
    ];
    if (rows.length === 0) return 0;
    this.db.transaction(() => {
      const freed = new Map<string, Usage>();
      for (const r of rows) {
        this.remove(r);
        const u = freed.get(r.revision) ?? { bytes: 0, entries: 0 };
        u.bytes += r.bytes;
        u.entries += r.n;
        freed.set(r.revision, u);
      }
      this.subtract(freed);
    })();
    return rows.reduce((n, r) => n + r.n, 0);
  }

  private deletes: ReturnType<Db['prepare']>[] | undefined;

  private remove(r: { src: 0 | 1; id: number }): void {
    this.deletes ??= ['log_entries', 'request_batches'].map((t) =>
      this.db.prepare(`DELETE FROM ${t} WHERE id = ?`),
    );
    this.deletes[r.src]!.run(r.id);
  }

  /**
   * Deletes up to CHUNK of a revision's oldest entries (by timestamp, across log_entries and packed
   * request batches, a batch at its newest entry's time), as many as needed to get under both targets.
   */
  private trimChunk(
    revision: string,
    bytesTarget: number,
    entriesTarget: number,
  ): { removed: number; more: boolean } {
    const u = this.usage(revision);
    let bytesOver = u.bytes - bytesTarget;
    let entriesOver = u.entries - entriesTarget;
    if (bytesOver <= 0 && entriesOver <= 0) return { removed: 0, more: false };
    const rows = [
      ...(this.db
        .prepare(
          'SELECT 0 AS src, id, ts, bytes, 1 AS n FROM log_entries WHERE revision = ? ORDER BY ts, id LIMIT ?',
        )
        .all(revision, CHUNK) as Stored[]),
      ...(this.db
        .prepare(
          'SELECT 1 AS src, id, max_ts AS ts, bytes, count AS n FROM request_batches WHERE revision = ? ORDER BY max_ts, id LIMIT ?',
        )
        .all(revision, CHUNK) as Stored[]),
    ].sort((a, b) => a.ts - b.ts || a.src - b.src || a.id - b.id);
    const cut: Stored[] = [];
    let freed = 0;
    let count = 0;
    for (const r of rows) {
      if (bytesOver <= 0 && entriesOver <= 0) break;
      if (cut.length === CHUNK) break;
      cut.push(r);
      freed += r.bytes;
      count += r.n;
      bytesOver -= r.bytes;
      entriesOver -= r.n;
    }
    this.db.transaction(() => {
      for (const r of cut) this.remove(r);
      // Totals drifted from the rows (none left to delete): set them from what is there.
      if (rows.length === 0) this.db.prepare('DELETE FROM log_usage WHERE revision = ?').run(revision);
      else this.subtract(new Map([[revision, { bytes: freed, entries: count }]]));
    })();
    return { removed: count, more: rows.length > 0 && (bytesOver > 0 || entriesOver > 0) };
  }

  private subtract(freed: Map<string, Usage>): void {
    const stmt = this.db.prepare(
      'UPDATE log_usage SET bytes = bytes - ?, entries = entries - ? WHERE revision = ?',
    );
    for (const [revision, u] of freed) stmt.run(u.bytes, u.entries, revision);
  }
}
