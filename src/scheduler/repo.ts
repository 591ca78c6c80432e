import type { Db } from '../store/index.ts';
import type { JobState, RpcStatus } from '../model/index.ts';
import { TarmacError } from '../shared/index.ts';
import type { JobSpec } from './job.ts';

/** The run a job is in the middle of (at most one scheduled run at a time: runs never overlap). */
export interface ActiveRun {
  scheduleTime: number;
  attempts: number;
  firstAttemptAt: number;
  /** When the next attempt is due; null while an attempt is in flight. */
  retryAt: number | null;
}

export interface JobRow {
  name: string;
  project: string;
  location: string;
  spec: JobSpec;
  state: JobState;
  userUpdateTime: number;
  nextRunAt: number | null;
  status: RpcStatus | null;
  lastAttemptTime: number | null;
  run: ActiveRun | null;
}

interface RawRow {
  name: string;
  project: string;
  location: string;
  spec: string;
  state: string;
  user_update_time: number;
  next_run_at: number | null;
  status: string | null;
  last_attempt_time: number | null;
  run_schedule_time: number | null;
  run_attempts: number;
  run_first_attempt_at: number | null;
  run_retry_at: number | null;
}

const COLS = `name, project, location, spec, state, user_update_time, next_run_at, status, last_attempt_time,
  run_schedule_time, run_attempts, run_first_attempt_at, run_retry_at`;

export const jobNotFound = (name: string): TarmacError =>
  new TarmacError('NOT_FOUND', `Job not found: ${name}`, { reason: 'JOB_NOT_FOUND' });

/** SQLite persistence of jobs and their run state. Parsed specs are cached by (name, update time). */
export class JobRepo {
  private readonly specs = new Map<string, { at: number; spec: JobSpec }>();
  private readonly stmt;

  constructor(private readonly db: Db) {
    this.stmt = {
      get: db.prepare(`SELECT ${COLS} FROM scheduler_jobs WHERE name = ?`),
      due: db.prepare(`SELECT ${COLS} FROM scheduler_jobs WHERE due_at <= ? ORDER BY due_at LIMIT ?`),
      earliest: db.prepare(`SELECT MIN(due_at) AS t FROM scheduler_jobs WHERE due_at IS NOT NULL`),
      inFlight: db.prepare(
        `SELECT ${COLS} FROM scheduler_jobs WHERE run_schedule_time IS NOT NULL AND run_retry_at IS NULL`,
      ),
      claimNew:
        db.prepare(`UPDATE scheduler_jobs SET run_schedule_time = ?, run_attempts = 1, run_first_attempt_at = ?,
        run_retry_at = NULL, last_attempt_time = ?, next_run_at = ? WHERE name = ? AND run_schedule_time IS NULL`),
      claimRetry: db.prepare(`UPDATE scheduler_jobs SET run_attempts = run_attempts + 1, run_retry_at = NULL,
        last_attempt_time = ? WHERE name = ? AND run_schedule_time = ? AND run_retry_at IS NOT NULL`),
      retry: db.prepare(
        `UPDATE scheduler_jobs SET run_retry_at = ?, status = ? WHERE name = ? AND run_schedule_time = ?`,
      ),
      endRun:
        db.prepare(`UPDATE scheduler_jobs SET run_schedule_time = NULL, run_attempts = 0, run_first_attempt_at = NULL,
        run_retry_at = NULL, status = ? WHERE name = ? AND run_schedule_time = ?`),
      manual: db.prepare(`UPDATE scheduler_jobs SET last_attempt_time = ? WHERE name = ?`),
      status: db.prepare(`UPDATE scheduler_jobs SET status = ? WHERE name = ?`),
    };
  }

  /** Runs `fn` in one transaction (claims and completions are batched). */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  insert(row: Omit<JobRow, 'status' | 'lastAttemptTime' | 'run'>): void {
    try {
      this.db
        .prepare(
          `INSERT INTO scheduler_jobs (name, project, location, spec, state, user_update_time, next_run_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          row.name,
          row.project,
          row.location,
          JSON.stringify(row.spec),
          row.state,
          row.userUpdateTime,
          row.nextRunAt,
        );
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new TarmacError('ALREADY_EXISTS', `Job ${row.name} already exists`, { reason: 'JOB_EXISTS' });
      }
      throw e;
    }
  }

  get(name: string): JobRow | undefined {
    const r = this.stmt.get.get(name) as RawRow | undefined;
    return r && this.toRow(r);
  }

  require(name: string): JobRow {
    const row = this.get(name);
    if (!row) throw jobNotFound(name);
    return row;
  }

  /** Jobs under a parent in name order, starting after `afterName`. */
  list(project: string, location: string, limit: number, afterName: string): JobRow[] {
    const rows = this.db
      .prepare(
        `SELECT ${COLS} FROM scheduler_jobs WHERE project = ? AND location = ? AND name > ? ORDER BY name LIMIT ?`,
      )
      .all(project, location, afterName, limit) as RawRow[];
    return rows.map((r) => this.toRow(r));
  }

  /** Replaces the spec (and the next run the new schedule gives). */
  update(name: string, spec: JobSpec, userUpdateTime: number, nextRunAt: number | null): void {
    this.specs.delete(name);
    this.db
      .prepare(`UPDATE scheduler_jobs SET spec = ?, user_update_time = ?, next_run_at = ? WHERE name = ?`)
      .run(JSON.stringify(spec), userUpdateTime, nextRunAt, name);
  }

  /** Sets the state; pausing also drops a retry that has not started (the run ends there). */
  setState(name: string, state: JobState, nextRunAt: number | null, userUpdateTime: number): void {
    this.tx(() => {
      this.db
        .prepare(`UPDATE scheduler_jobs SET state = ?, next_run_at = ?, user_update_time = ? WHERE name = ?`)
        .run(state, nextRunAt, userUpdateTime, name);
      if (state !== 'ENABLED') {
        this.db
          .prepare(
            `UPDATE scheduler_jobs SET run_schedule_time = NULL, run_attempts = 0, run_first_attempt_at = NULL,
             run_retry_at = NULL WHERE name = ? AND run_retry_at IS NOT NULL`,
          )
          .run(name);
      }
    });
  }

  delete(name: string): boolean {
    this.specs.delete(name);
    return this.tx(() => {
      this.db.prepare('DELETE FROM scheduler_executions WHERE job = ?').run(name);
      return this.db.prepare('DELETE FROM scheduler_jobs WHERE name = ?').run(name).changes > 0;
    });
  }

  earliestDue(): number | undefined {
    const r = this.stmt.earliest.get() as { t: number | null };
    return r.t ?? undefined;
  }

  due(now: number, limit: number): JobRow[] {
    return (this.stmt.due.all(now, limit) as RawRow[]).map((r) => this.toRow(r));
  }

  /** Jobs whose attempt was in flight when the process stopped. */
  inFlight(): JobRow[] {
    return (this.stmt.inFlight.all() as RawRow[]).map((r) => this.toRow(r));
  }

  claimNew(name: string, scheduleTime: number, now: number, nextRunAt: number | null): boolean {
    return this.stmt.claimNew.run(scheduleTime, now, now, nextRunAt, name).changes > 0;
  }

  claimRetry(name: string, scheduleTime: number, now: number): boolean {
    return this.stmt.claimRetry.run(now, name, scheduleTime).changes > 0;
  }

  /** Puts a claimed, never-sent run back as it was before the claim (row = the state read before). */
  unclaim(before: JobRow): void {
    const r = before.run;
    this.db
      .prepare(
        `UPDATE scheduler_jobs SET run_schedule_time = ?, run_attempts = ?, run_first_attempt_at = ?, run_retry_at = ?,
         next_run_at = ?, last_attempt_time = ? WHERE name = ?`,
      )
      .run(
        r?.scheduleTime ?? null,
        r?.attempts ?? 0,
        r?.firstAttemptAt ?? null,
        r?.retryAt ?? null,
        before.nextRunAt,
        before.lastAttemptTime,
        before.name,
      );
  }

  scheduleRetry(name: string, scheduleTime: number, at: number, status: RpcStatus): void {
    this.stmt.retry.run(at, JSON.stringify(status), name, scheduleTime);
  }

  endRun(name: string, scheduleTime: number, status: RpcStatus): void {
    this.stmt.endRun.run(JSON.stringify(status), name, scheduleTime);
  }

  /** A manual run started (it does not take the run slot). */
  manualStarted(name: string, now: number): void {
    this.stmt.manual.run(now, name);
  }

  setStatus(name: string, status: RpcStatus): void {
    this.stmt.status.run(JSON.stringify(status), name);
  }

  private toRow(r: RawRow): JobRow {
    let cached = this.specs.get(r.name);
    if (!cached || cached.at !== r.user_update_time) {
      cached = { at: r.user_update_time, spec: JSON.parse(r.spec) as JobSpec };
      this.specs.set(r.name, cached);
    }
    return {
      name: r.name,
      project: r.project,
      location: r.location,
      spec: cached.spec,
      state: r.state as JobState,
      userUpdateTime: r.user_update_time,
      nextRunAt: r.next_run_at,
      status: r.status === null ? null : (JSON.parse(r.status) as RpcStatus),
      lastAttemptTime: r.last_attempt_time,
      run:
        r.run_schedule_time === null
          ? null
          : {
              scheduleTime: r.run_schedule_time,
              attempts: r.run_attempts,
              firstAttemptAt: r.run_first_attempt_at ?? r.run_schedule_time,
              retryAt: r.run_retry_at,
            },
    };
  }
}
