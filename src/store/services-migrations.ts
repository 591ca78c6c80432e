/** Services control-plane tables (ids 300-399, owned by src/services). */
export const servicesMigrations: { id: number; name: string; up: string }[] = [
  {
    id: 300,
    name: 'run_services',
    up: `
      CREATE TABLE run_services (
        uid TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        spec TEXT NOT NULL,
        generation INTEGER NOT NULL,
        revision_seq INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL,
        etag TEXT NOT NULL,
        create_time TEXT NOT NULL,
        update_time TEXT NOT NULL,
        creator TEXT NOT NULL,
        last_modifier TEXT NOT NULL,
        deleting INTEGER NOT NULL DEFAULT 0
      );
      CREATE UNIQUE INDEX run_services_live ON run_services(project_id, region, name) WHERE deleting = 0;
      CREATE TABLE run_revisions (
        uid TEXT PRIMARY KEY,
        service_uid TEXT NOT NULL REFERENCES run_services(uid) ON DELETE CASCADE,
        project_id TEXT NOT NULL,
        region TEXT NOT NULL,
        service TEXT NOT NULL,
        name TEXT NOT NULL,
        seq INTEGER NOT NULL,
        generation INTEGER NOT NULL,
        template TEXT NOT NULL,
        runtime TEXT NOT NULL,
        state TEXT NOT NULL,
        dp TEXT NOT NULL DEFAULT 'none',
        reason TEXT NOT NULL DEFAULT '',
        message TEXT NOT NULL DEFAULT '',
        log_tail TEXT NOT NULL DEFAULT '[]',
        create_time TEXT NOT NULL,
        update_time TEXT NOT NULL,
        UNIQUE (service_uid, name)
      );
      CREATE INDEX run_revisions_name ON run_revisions(project_id, region, name);
      CREATE TABLE run_operations (
        name TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        region TEXT NOT NULL,
        kind TEXT NOT NULL,
        target TEXT NOT NULL,
        service_uid TEXT NOT NULL,
        generation INTEGER NOT NULL,
        done INTEGER NOT NULL DEFAULT 0,
        result TEXT NOT NULL DEFAULT '{}',
        create_time TEXT NOT NULL,
        end_time TEXT
      );
      CREATE INDEX run_operations_pending ON run_operations(service_uid) WHERE done = 0;
    `,
  },
  {
    id: 301,
    name: 'run_revisions_delete_time',
    // Set when a revision's deletion starts (it drains first); list hides it unless showDeleted.
    up: 'ALTER TABLE run_revisions ADD COLUMN delete_time TEXT',
  },
];
