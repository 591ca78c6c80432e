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
  {
    id: 602,
    name: 'log_usage',
    // Per-revision totals for retention by bytes and entry count, kept current by the flush.
    up: `ALTER TABLE log_entries ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
    UPDATE log_entries SET bytes = length(CAST(entry AS BLOB));
    CREATE TABLE log_usage (
      revision TEXT PRIMARY KEY,
      bytes INTEGER NOT NULL,
      entries INTEGER NOT NULL
    );
    INSERT INTO log_usage (revision, bytes, entries)
      SELECT revision, SUM(bytes), COUNT(*) FROM log_entries GROUP BY revision;`,
  },
  {
    id: 603,
    name: 'request_batches',
    // Request logs packed per flush and revision (src/telemetry/request-batches.ts), read merged
    // with log_entries; request entries written before stay in log_entries. log_entries' two
    // id-ordered indexes went unused once lists and trims ordered by time.
    up: `CREATE TABLE request_batches (
      id INTEGER PRIMARY KEY,
      project TEXT NOT NULL,
      service TEXT NOT NULL,
      revision TEXT NOT NULL,
      location TEXT NOT NULL,
      min_ts INTEGER NOT NULL,
      max_ts INTEGER NOT NULL,
      max_severity INTEGER NOT NULL,
      count INTEGER NOT NULL,
      bytes INTEGER NOT NULL,
      id_prefix TEXT NOT NULL,
      data TEXT NOT NULL
    );
    CREATE INDEX request_batches_service ON request_batches (project, service, max_ts);
    CREATE INDEX request_batches_revision ON request_batches (revision, max_ts);
    CREATE INDEX request_batches_ts ON request_batches (max_ts);
    DROP INDEX log_entries_service;
    DROP INDEX log_entries_revision;`,
  },
];
