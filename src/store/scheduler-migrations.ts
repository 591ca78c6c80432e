/** Scheduler tables (ids 500-599, owned by src/scheduler). */
export const schedulerMigrations: { id: number; name: string; up: string }[] = [
  {
    id: 500,
    name: 'scheduler_jobs',
    up: `
      CREATE TABLE scheduler_jobs (
        name TEXT PRIMARY KEY,
        project TEXT NOT NULL,
        location TEXT NOT NULL,
        spec TEXT NOT NULL,
        state TEXT NOT NULL,
        user_update_time INTEGER NOT NULL,
        next_run_at INTEGER,
        status TEXT,
        last_attempt_time INTEGER,
        run_schedule_time INTEGER,
        run_attempts INTEGER NOT NULL DEFAULT 0,
        run_first_attempt_at INTEGER,
        run_retry_at INTEGER,
        due_at INTEGER GENERATED ALWAYS AS (
          CASE WHEN run_schedule_time IS NOT NULL THEN run_retry_at
               WHEN state = 'ENABLED' THEN next_run_at END
        ) VIRTUAL
      );
      CREATE INDEX scheduler_jobs_parent ON scheduler_jobs(project, location, name);
      CREATE INDEX scheduler_jobs_due ON scheduler_jobs(due_at) WHERE due_at IS NOT NULL;
      CREATE TABLE scheduler_executions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        job TEXT NOT NULL,
        schedule_time INTEGER NOT NULL,
        attempt INTEGER NOT NULL,
        manual INTEGER NOT NULL,
        start_time INTEGER NOT NULL,
        end_time INTEGER NOT NULL,
        http_status INTEGER,
        latency_ms REAL NOT NULL,
        code TEXT NOT NULL,
        error TEXT
      );
      CREATE INDEX scheduler_executions_job ON scheduler_executions(job, id);
    `,
  },
];
