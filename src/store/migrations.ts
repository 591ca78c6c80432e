/**
 * Numbered migrations. Each subsystem owns a range so parallel work never collides:
 * 1-99 core, 100s identity, 200s registry, 300s services, 400s builds, 500s scheduler, 600s telemetry.
 */
import { iamMigrations } from './iam-migrations.ts';

export interface Migration {
  id: number;
  name: string;
  up: string;
}

const core: Migration[] = [
  {
    id: 1,
    name: 'meta',
    up: `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  },
];

const telemetry: Migration[] = [
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
];

export const MIGRATIONS: readonly Migration[] = [...core, ...iamMigrations, ...telemetry];
