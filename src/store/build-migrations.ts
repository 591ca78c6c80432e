/** Build tables (ids 400-499, owned by src/build). */
export const buildMigrations: { id: number; name: string; up: string }[] = [
  {
    id: 400,
    name: 'builds',
    up: `
      CREATE TABLE builds (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        location TEXT NOT NULL,
        status TEXT NOT NULL,
        create_time TEXT NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX builds_project_time ON builds(project_id, create_time DESC, id DESC);
      CREATE INDEX builds_status ON builds(status);
      CREATE TABLE build_objects (
        bucket TEXT NOT NULL,
        name TEXT NOT NULL,
        generation TEXT NOT NULL,
        size INTEGER NOT NULL,
        md5 TEXT NOT NULL,
        content_type TEXT NOT NULL,
        create_time TEXT NOT NULL,
        PRIMARY KEY (bucket, name)
      );
    `,
  },
];
