import type { Db } from '../store/index.ts';

/** One finished attempt, as kept in the execution history. */
export interface Execution {
  id: number;
  job: string;
  scheduleTime: number;
  attempt: number;
  manual: boolean;
  startTime: number;
  endTime: number;
  httpStatus: number | null;
  latencyMs: number;
  /** OK or a google.rpc canonical code name. */
  code: string;
  error: string | null;
}

/** How many attempts each job keeps; older ones are pruned as new ones arrive. */
export const HISTORY_PER_JOB = 100;
const PRUNE_EVERY = 20;

/** The execution history: one row per finished attempt, newest first when read. */
export class HistoryRepo {
  private readonly insertStmt;
  private readonly pruneStmt;
  private readonly sinceLastPrune = new Map<string, number>();

  constructor(private readonly db: Db) {
    // Only for a job that still exists (it may have been deleted while the attempt was in flight).
    this.insertStmt = db.prepare(
      `INSERT INTO scheduler_executions (job, schedule_time, attempt, manual, start_time, end_time, http_status,
       latency_ms, code, error) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS
       (SELECT 1 FROM scheduler_jobs WHERE name = ?)`,
    );
    this.pruneStmt = db.prepare(
      `DELETE FROM scheduler_executions WHERE job = ? AND id < (SELECT id FROM scheduler_executions WHERE job = ?
       ORDER BY id DESC LIMIT 1 OFFSET ${HISTORY_PER_JOB - 1})`,
    );
  }

  add(e: Omit<Execution, 'id'>): void {
    this.insertStmt.run(
      e.job,
      e.scheduleTime,
      e.attempt,
      e.manual ? 1 : 0,
      e.startTime,
      e.endTime,
      e.httpStatus,
      e.latencyMs,
      e.code,
      e.error,
      e.job,
    );
    const n = (this.sinceLastPrune.get(e.job) ?? 0) + 1;
    if (n >= PRUNE_EVERY) {
      this.pruneStmt.run(e.job, e.job);
      this.sinceLastPrune.set(e.job, 0);
    } else this.sinceLastPrune.set(e.job, n);
  }

  /** Newest first; `beforeId` pages backwards (0 = from the newest). */
  list(job: string, limit: number, beforeId = 0): Execution[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM scheduler_executions WHERE job = ? AND (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?`,
      )
      .all(job, beforeId, beforeId, limit) as Record<string, unknown>[];
    return rows.map((r) => ({
      id: r.id as number,
      job: r.job as string,
      scheduleTime: r.schedule_time as number,
      attempt: r.attempt as number,
      manual: r.manual === 1,
      startTime: r.start_time as number,
      endTime: r.end_time as number,
      httpStatus: r.http_status as number | null,
      latencyMs: r.latency_ms as number,
      code: r.code as string,
      error: r.error as string | null,
    }));
  }
}
