/** Identity tables (ids 100-199, owned by src/iam). */
export const iamMigrations: { id: number; name: string; up: string }[] = [
  {
    id: 100,
    name: 'iam_core',
    up: `
      CREATE TABLE iam_projects (
        project_id TEXT PRIMARY KEY,
        project_number TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        create_time TEXT NOT NULL
      );
      CREATE TABLE iam_users (
        email TEXT PRIMARY KEY,
        unique_id TEXT NOT NULL UNIQUE,
        create_time TEXT NOT NULL
      );
      CREATE TABLE iam_service_accounts (
        unique_id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL REFERENCES iam_projects(project_id),
        email TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL DEFAULT '',
        description TEXT NOT NULL DEFAULT '',
        disabled INTEGER NOT NULL DEFAULT 0,
        etag TEXT NOT NULL,
        create_time TEXT NOT NULL
      );
      CREATE INDEX iam_service_accounts_project ON iam_service_accounts(project_id);
      CREATE TABLE iam_sa_keys (
        key_id TEXT PRIMARY KEY,
        sa_unique_id TEXT NOT NULL REFERENCES iam_service_accounts(unique_id) ON DELETE CASCADE,
        public_pem TEXT NOT NULL,
        key_algorithm TEXT NOT NULL,
        key_type TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        valid_after TEXT NOT NULL,
        valid_before TEXT NOT NULL
      );
      CREATE INDEX iam_sa_keys_sa ON iam_sa_keys(sa_unique_id);
      CREATE TABLE iam_policies (
        resource TEXT PRIMARY KEY,
        bindings TEXT NOT NULL,
        version INTEGER NOT NULL,
        etag TEXT NOT NULL
      );
      CREATE TABLE iam_signing_keys (
        kid TEXT PRIMARY KEY,
        public_jwk TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        retired_at INTEGER
      );
      CREATE TABLE iam_api_tokens (
        token_hash TEXT PRIMARY KEY,
        member TEXT NOT NULL,
        purpose TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
    `,
  },
];
