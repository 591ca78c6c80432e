import { EventEmitter } from 'node:events';
import type { Db } from '../store/index.ts';
import { uuid, type Clock, type TimerHandle } from '../shared/index.ts';
import { severityNumber, type LogEntry } from './entry.ts';
import { matches, parseFilter } from './filter.ts';
import { decodeToken, listPage } from './log-query.ts';
import { LogRetention } from './retention.ts';
import { BatchBuilder, batchInserter, type BatchRow } from './request-batches.ts';
import {
  RequestEntry,
  type DeferredEntry,
  type RequestFacts,
  type RequestLogTarget,
} from './request-entry.ts';

/** A deferred entry with the sequence number its insertId ends with. */
interface Pending {
  e: DeferredEntry;
  seq: number;
}

export interface LogStoreOptions {
  /** Entries held in memory before a flush; beyond this, new entries are dropped and counted. */
  maxBuffered?: number;
  flushIntervalMs?: number;
  /** Entries older than this are removed by the retention sweep. */
  maxAgeMs?: number;
  /** At most this many entries are kept per revision. */
  maxPerRevision?: number;
  /** At most this many bytes of entries (as stored, JSON) are kept per revision; the oldest go first. */
  maxBytesPerRevision?: number;
}

/** Default byte budget per revision: 64 MiB, some 200,000 typical lines. */
export const DEFAULT_LOG_BYTES_PER_REVISION = 64 * 1024 * 1024;

export interface ListOptions {
  filter?: string;
  pageSize?: number;
  pageToken?: string;
  /** "timestamp desc" (default, newest first) or "timestamp asc". */
  orderBy?: string;
}

/**
 * Log entries per revision in SQLite. Writers only append to a bounded in-memory buffer; a timer
 * flushes it in one transaction, so no request ever waits on the disk.
 */
export class LogStore {
  private buffer: (LogEntry | Pending)[] = [];
  private timer: TimerHandle | undefined;
  private sweepTimer: TimerHandle | undefined;
  private readonly events = new EventEmitter();
  private readonly opts: Required<LogStoreOptions>;
  dropped = 0;
  private disposed = false;
  private readonly idPrefix = uuid().replace(/-/g, '').slice(0, 10);
  private seq = 0;
  private insertStmt: ReturnType<Db['prepare']> | undefined;
  private insertBatch: ((row: BatchRow) => void) | undefined;
  /** Request entries since the last flush, packed as they come, per revision. */
  private requests = new Map<RequestLogTarget, BatchBuilder>();
  private requestCount = 0;
  private readonly retention: LogRetention;
  /** A background sweep in progress (its steps run between other events). */
  private sweeping: Promise<void> | undefined;
  /** The last background sweep's error, if it failed. */
  sweepError: unknown;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    opts: LogStoreOptions = {},
  ) {
    this.opts = {
      maxBuffered: opts.maxBuffered ?? 20_000,
      flushIntervalMs: opts.flushIntervalMs ?? 250,
      maxAgeMs: opts.maxAgeMs ?? 7 * 24 * 3600_000,
      maxPerRevision: opts.maxPerRevision ?? 200_000,
      maxBytesPerRevision: opts.maxBytesPerRevision ?? DEFAULT_LOG_BYTES_PER_REVISION,
    };
    this.retention = new LogRetention(db, this.opts);
    this.events.setMaxListeners(0);
    this.scheduleSweep();
  }

  /**
   * Adds an entry (insertId, timestamp and receiveTimestamp filled in when missing). Never blocks
   * on I/O; returns undefined when the entry was dropped (buffer full, or disposed).
   */
  write(
    partial: Omit<LogEntry, 'insertId' | 'receiveTimestamp' | 'timestamp'> & {
      insertId?: string;
      timestamp?: string;
    },
  ): LogEntry | undefined {
    if (this.disposed) return undefined;
    if (this.buffer.length + this.requestCount >= this.opts.maxBuffered) {
      this.dropped++;
      return undefined;
    }
    const now = new Date(this.clock.now()).toISOString();
    const entry: LogEntry = {
      ...partial,
      timestamp: partial.timestamp ?? now,
      // Unique without a random draw per entry: a per-store random prefix and a counter.
      insertId: partial.insertId ?? `${this.idPrefix}${(this.seq++).toString(36)}`,
      receiveTimestamp: now,
    };
    this.buffer.push(entry);
    this.armFlush();
    this.events.emit('entry', entry);
    return entry;
  }

  /**
   * Adds an entry that is formatted only when the buffer is flushed (or at once when someone
   * tails). Never blocks; returns false when the entry was dropped.
   */
  writeDeferred(e: DeferredEntry): boolean {
    if (e instanceof RequestEntry) return this.writeRequest(e.target, e.facts, e.ts);
    if (this.disposed) return false;
    if (this.buffer.length + this.requestCount >= this.opts.maxBuffered) {
      this.dropped++;
      return false;
    }
    const seq = this.seq++;
    this.buffer.push({ e, seq });
    this.armFlush();
    if (this.events.listenerCount('entry') > 0)
      this.events.emit('entry', JSON.parse(e.json(`${this.idPrefix}${seq.toString(36)}`)));
    return true;
  }

  /**
   * A request log entry (Cloud Run's run.googleapis.com/requests) for a finished request: its facts
   * go straight into the revision's packed batch. Never blocks; false when dropped.
   */
  writeRequest(target: RequestLogTarget, facts: RequestFacts, ts: number): boolean {
    if (this.disposed) return false;
    if (this.buffer.length + this.requestCount >= this.opts.maxBuffered) {
      this.dropped++;
      return false;
    }
    const seq = this.seq++;
    let b = this.requests.get(target);
    if (!b) this.requests.set(target, (b = new BatchBuilder(target, ts)));
    b.add(facts, ts, seq);
    this.requestCount++;
    this.armFlush();
    if (this.events.listenerCount('entry') > 0)
      this.events.emit(
        'entry',
        new RequestEntry(target, facts, ts).entry(`${this.idPrefix}${seq.toString(36)}`),
      );
    return true;
  }

  private armFlush(): void {
    this.timer ??= this.clock.setTimeout(() => this.flush(), this.opts.flushIntervalMs);
  }

  /** Writes buffered entries to the database in one transaction. */
  flush(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0 && this.requestCount === 0) return;
    const batch = this.buffer;
    const requests = this.requests;
    this.buffer = [];
    this.requests = new Map();
    this.requestCount = 0;
    const insert = (this.insertStmt ??= this.db.prepare(
      'INSERT INTO log_entries (project, service, revision, ts, severity, log_name, entry, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ));
    const insertBatch = (this.insertBatch ??= batchInserter(this.db, this.idPrefix));
    const over = this.db.transaction(() => {
      const usage = new Map<string, { bytes: number; entries: number }>();
      const add = (revision: string, bytes: number, entries: number): void => {
        const u = usage.get(revision);
        if (u) {
          u.bytes += bytes;
          u.entries += entries;
        } else usage.set(revision, { bytes, entries });
      };
      for (const item of batch) {
        const row = toRow(item, this.idPrefix);
        insert.run(...row);
        add(row[2], row[7], 1);
      }
      // Request entries: one packed row per revision.
      for (const b of requests.values()) {
        const row = b.finish();
        insertBatch(row);
        add(row.revision, row.bytes, row.count);
      }
      return this.retention.record(usage);
    })();
    // Over a budget: trim soon, in steps between other work, never inside a write.
    if (over) this.sweepInBackground();
  }

  /** A revision's stored totals (what retention counts). */
  usage(revision: string): { bytes: number; entries: number } {
    this.flush();
    return this.retention.usage(revision);
  }

  /** Entries matching a filter, newest first by default, with page tokens. */
  list(opts: ListOptions = {}): { entries: LogEntry[]; nextPageToken?: string } {
    this.flush();
    return listPage(this.db, {
      filter: parseFilter(opts.filter),
      pageSize: Math.min(Math.max(opts.pageSize ?? 50, 1), 1000),
      asc: /\basc\b/i.test(opts.orderBy ?? ''),
      cursor: opts.pageToken ? decodeToken(opts.pageToken) : undefined,
    });
  }

  /** Calls `onEntry` for every new entry matching the filter until the returned function is called. */
  tail(filterText: string | undefined, onEntry: (e: LogEntry) => void): () => void {
    const filter = parseFilter(filterText);
    const fn = (e: LogEntry): void => {
      if (matches(filter, e)) onEntry(e);
    };
    this.events.on('entry', fn);
    return () => this.events.off('entry', fn);
  }

  /**
   * Removes entries past the age limit and the oldest of each revision over its entry or byte
   * budget, all at once (tests, shutdown). The timer and the flush use sweepInBackground().
   */
  sweep(): number {
    this.flush();
    let removed = 0;
    for (const n of this.retention.steps(this.clock.now())) removed += n;
    return removed;
  }

  /** The same sweep in short steps with the event loop free between them; one at a time. */
  sweepInBackground(): Promise<void> {
    this.sweeping ??= (async () => {
      try {
        const steps = this.retention.steps(this.clock.now());
        do await new Promise((r) => setImmediate(r));
        while (!this.disposed && !steps.next().done);
      } catch (err) {
        // A failed sweep (database closed under it at shutdown) is retried by the next one.
        this.sweepError = err;
      } finally {
        this.sweeping = undefined;
      }
    })();
    return this.sweeping;
  }

  dispose(): void {
    if (this.disposed) return;
    this.flush();
    this.disposed = true;
    if (this.sweepTimer) this.clock.clearTimeout(this.sweepTimer);
    this.events.removeAllListeners();
  }

  private scheduleSweep(): void {
    this.sweepTimer = this.clock.setTimeout(() => {
      this.flush();
      void this.sweepInBackground().finally(() => {
        if (!this.disposed) this.scheduleSweep();
      });
    }, 60_000);
  }
}

type Row8 = [string, string, string, number, number, string, string, number];

/** A buffered entry's row; deferred entries (request logs) are formatted here, off the request path. */
function toRow(item: LogEntry | Pending, idPrefix: string): Row8 {
  if ('e' in item) {
    const d = item.e;
    const json = d.json(`${idPrefix}${item.seq.toString(36)}`);
    const sev = severityNumber(d.severity);
    return [d.project, d.service, d.revision, d.ts, sev, d.logName, json, Buffer.byteLength(json)];
  }
  const l = item.resource.labels;
  const json = JSON.stringify(item);
  return [
    l.project_id ?? '',
    l.service_name ?? '',
    l.revision_name ?? '',
    Date.parse(item.timestamp) || Date.parse(item.receiveTimestamp),
    severityNumber(item.severity),
    item.logName,
    json,
    Buffer.byteLength(json),
  ];
}
