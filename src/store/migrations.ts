/**
 * Numbered migrations. Each subsystem owns a range so parallel work never collides:
 * 1-99 core, 100s identity, 200s registry, 300s services, 400s builds, 500s scheduler, 600s telemetry.
 */
import { buildMigrations } from './build-migrations.ts';
import { iamMigrations } from './iam-migrations.ts';
import { servicesMigrations } from './services-migrations.ts';
import { registryMigrations } from './registry-migrations.ts';
import { telemetryMigrations } from './telemetry-migrations.ts';
import { schedulerMigrations } from './scheduler-migrations.ts';

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

export const MIGRATIONS: readonly Migration[] = [
  ...core,
  ...iamMigrations,
  ...registryMigrations,
  ...buildMigrations,
  ...servicesMigrations,
  ...telemetryMigrations,
  ...schedulerMigrations,
];
