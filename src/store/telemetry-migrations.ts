/** Telemetry tables (ids 600-699, owned by src/telemetry). */

export const telemetryMigrations: { id: number; name: string; up: string }[] = [
  {
    id: 600,
    name: 'log_entries',
    up: `CREATE TABLE log_entries (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      project TEXT NOT NULL,
      service TEXT NOT NULL,
      revision TEXT NOT NULL,
      ts INTEGER NOT NULL,
      severity INTEGER NOT NULL,
      log_name TEXT NOT NULL,
      entry TEXT NOT NULL
    );
    CREATE INDEX log_entries_service ON log_entries (project, service, id);
    CREATE INDEX log_entries_revision ON log_entries (revision, id);
    CREATE INDEX log_entries_ts ON log_entries (ts);`,
  },
  {
    id: 601,
    name: 'log_entries_by_time',
    // Lists are in (timestamp, id) order: container lines can arrive after later request entries.
    up: `CREATE INDEX log_entries_service_ts ON log_entries (project, service, ts, id);
    CREATE INDEX log_entries_revision_ts ON log_entries (revision, ts, id);`,
  },
];
