/**
 * The registry's tables (ids 200-299). Blob bytes live in the blob store; SQLite holds which blobs
 * exist and when they were last used (gc grace), which repositories link them, manifests with what
 * they reference (for gc and validation), tags, and upload sessions.
 */
export const registryMigrations: { id: number; name: string; up: string }[] = [
  {
    id: 200,
    name: 'registry',
    up: `
CREATE TABLE registry_blobs (
  digest TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  last_used INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE registry_repositories (
  name TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE registry_repo_blobs (
  repository TEXT NOT NULL,
  digest TEXT NOT NULL REFERENCES registry_blobs(digest) ON DELETE CASCADE,
  PRIMARY KEY (repository, digest)
) WITHOUT ROWID;
CREATE INDEX registry_repo_blobs_digest ON registry_repo_blobs(digest);
CREATE TABLE registry_manifests (
  repository TEXT NOT NULL,
  digest TEXT NOT NULL,
  media_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  artifact_type TEXT,
  subject TEXT,
  annotations TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (repository, digest)
) WITHOUT ROWID;
CREATE INDEX registry_manifests_digest ON registry_manifests(digest);
CREATE INDEX registry_manifests_subject ON registry_manifests(repository, subject) WHERE subject IS NOT NULL;
CREATE TABLE registry_manifest_refs (
  repository TEXT NOT NULL,
  manifest TEXT NOT NULL,
  digest TEXT NOT NULL,
  PRIMARY KEY (repository, manifest, digest),
  FOREIGN KEY (repository, manifest) REFERENCES registry_manifests(repository, digest) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX registry_manifest_refs_digest ON registry_manifest_refs(digest);
CREATE TABLE registry_tags (
  repository TEXT NOT NULL,
  tag TEXT NOT NULL,
  digest TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (repository, tag),
  FOREIGN KEY (repository, digest) REFERENCES registry_manifests(repository, digest) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX registry_tags_digest ON registry_tags(repository, digest);
CREATE TABLE registry_uploads (
  id TEXT PRIMARY KEY,
  repository TEXT NOT NULL,
  size INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX registry_uploads_updated ON registry_uploads(updated_at);
`,
  },
];
