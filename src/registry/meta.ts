import type { Db } from '../store/index.ts';
import { regError } from './errors.ts';

/** A stored manifest's metadata (its bytes live in the blob store under `digest`). */
export interface ManifestRecord {
  repository: string;
  digest: string;
  mediaType: string;
  size: number;
  artifactType: string | undefined;
  subject: string | undefined;
  annotations: Record<string, string> | undefined;
}

/** What a manifest points at: blobs (config, layers) and child manifests (index entries). */
export interface ManifestRefs {
  blobs: string[];
  manifests: string[];
}

interface ManifestRow {
  repository: string;
  digest: string;
  media_type: string;
  size: number;
  artifact_type: string | null;
  subject: string | null;
  annotations: string | null;
}

/** Blobs touched within this window are not written again just to note the use. */
const TOUCH_EVERY_MS = 60_000;

/**
 * The registry's SQLite records: blobs and where they are linked, repositories, manifests with their
 * references, tags. Every check-then-write that gc could race with runs in one transaction.
 */
export class RegistryDb {
  constructor(private readonly db: Db) {}

  repositoryExists(name: string): boolean {
    return this.db.prepare('SELECT 1 FROM registry_repositories WHERE name = ?').get(name) !== undefined;
  }

  private ensureRepository(name: string, now: number): void {
    this.db
      .prepare('INSERT OR IGNORE INTO registry_repositories (name, created_at) VALUES (?, ?)')
      .run(name, now);
  }

  /** Records a committed blob and links it into `repository`. */
  linkBlob(repository: string, digest: string, size: number, now: number): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO registry_blobs (digest, size, last_used) VALUES (?, ?, ?)
           ON CONFLICT(digest) DO UPDATE SET last_used = excluded.last_used`,
        )
        .run(digest, size, now);
      this.ensureRepository(repository, now);
      this.db
        .prepare('INSERT OR IGNORE INTO registry_repo_blobs (repository, digest) VALUES (?, ?)')
        .run(repository, digest);
    })();
  }

  /** Size of a blob linked into `repository` (noting the use for gc), or undefined. */
  blobInRepository(repository: string, digest: string, now: number): number | undefined {
    const row = this.db
      .prepare(
        `SELECT b.size, b.last_used FROM registry_repo_blobs r JOIN registry_blobs b ON b.digest = r.digest
         WHERE r.repository = ? AND r.digest = ?`,
      )
      .get(repository, digest) as { size: number; last_used: number } | undefined;
    if (!row) return undefined;
    if (now - row.last_used > TOUCH_EVERY_MS) {
      this.db.prepare('UPDATE registry_blobs SET last_used = ? WHERE digest = ?').run(now, digest);
    }
    return row.size;
  }

  /** A committed blob's size, wherever it is linked. */
  blobSize(digest: string): number | undefined {
    const row = this.db.prepare('SELECT size FROM registry_blobs WHERE digest = ?').get(digest) as
      { size: number } | undefined;
    return row?.size;
  }

  /** Repositories (optionally only those starting with `prefix`) that link `digest`. */
  repositoriesWithBlob(digest: string, prefix = ''): string[] {
    const rows = this.db
      .prepare(
        'SELECT repository FROM registry_repo_blobs WHERE digest = ? AND substr(repository, 1, ?) = ? LIMIT 20',
      )
      .all(digest, prefix.length, prefix) as { repository: string }[];
    return rows.map((r) => r.repository);
  }

  unlinkBlob(repository: string, digest: string): boolean {
    return (
      this.db
        .prepare('DELETE FROM registry_repo_blobs WHERE repository = ? AND digest = ?')
        .run(repository, digest).changes > 0
    );
  }

  /**
   * Stores a manifest, its references and optionally a tag, after checking in the same transaction
   * that every referenced blob is linked into the repository and every child manifest is present.
   */
  putManifest(rec: ManifestRecord, refs: ManifestRefs, tag: string | undefined, now: number): void {
    this.db.transaction(() => {
      const missing = [
        ...refs.blobs.filter((d) => !this.isLinked(rec.repository, d)),
        ...refs.manifests.filter((d) => !this.getManifest(rec.repository, d)),
      ];
      if (missing.length > 0) {
        throw regError('MANIFEST_BLOB_UNKNOWN', `manifest references unknown blobs: ${missing.join(', ')}`, {
          digest: missing[0],
          missing,
        });
      }
      this.db
        .prepare(
          `INSERT INTO registry_blobs (digest, size, last_used) VALUES (?, ?, ?)
           ON CONFLICT(digest) DO UPDATE SET last_used = excluded.last_used`,
        )
        .run(rec.digest, rec.size, now);
      this.ensureRepository(rec.repository, now);
      this.db
        .prepare(
          `INSERT OR IGNORE INTO registry_manifests
           (repository, digest, media_type, size, artifact_type, subject, annotations, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          rec.repository,
          rec.digest,
          rec.mediaType,
          rec.size,
          rec.artifactType ?? null,
          rec.subject ?? null,
          rec.annotations ? JSON.stringify(rec.annotations) : null,
          now,
        );
      const addRef = this.db.prepare(
        'INSERT OR IGNORE INTO registry_manifest_refs (repository, manifest, digest) VALUES (?, ?, ?)',
      );
      for (const d of [...refs.blobs, ...refs.manifests]) addRef.run(rec.repository, rec.digest, d);
      if (tag !== undefined) {
        this.db
          .prepare(
            `INSERT INTO registry_tags (repository, tag, digest, updated_at) VALUES (?, ?, ?, ?)
             ON CONFLICT(repository, tag) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at`,
          )
          .run(rec.repository, tag, rec.digest, now);
      }
    })();
  }

  private isLinked(repository: string, digest: string): boolean {
    return (
      this.db
        .prepare('SELECT 1 FROM registry_repo_blobs WHERE repository = ? AND digest = ?')
        .get(repository, digest) !== undefined
    );
  }

  getManifest(repository: string, digest: string): ManifestRecord | undefined {
    const row = this.db
      .prepare('SELECT * FROM registry_manifests WHERE repository = ? AND digest = ?')
      .get(repository, digest) as ManifestRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  resolveTag(repository: string, tag: string): string | undefined {
    const row = this.db
      .prepare('SELECT digest FROM registry_tags WHERE repository = ? AND tag = ?')
      .get(repository, tag) as { digest: string } | undefined;
    return row?.digest;
  }

  /** Deletes a manifest and every tag pointing at it. */
  deleteManifest(repository: string, digest: string): boolean {
    return (
      this.db
        .prepare('DELETE FROM registry_manifests WHERE repository = ? AND digest = ?')
        .run(repository, digest).changes > 0
    );
  }

  deleteTag(repository: string, tag: string): boolean {
    return (
      this.db.prepare('DELETE FROM registry_tags WHERE repository = ? AND tag = ?').run(repository, tag)
        .changes > 0
    );
  }

  /** Tags in lexical (case-insensitive) order after `last`, at most `n`. */
  listTags(repository: string, n: number, last: string | undefined): string[] {
    const rows = (
      last === undefined
        ? this.db
            .prepare('SELECT tag FROM registry_tags WHERE repository = ? ORDER BY lower(tag), tag LIMIT ?')
            .all(repository, n)
        : this.db
            .prepare(
              `SELECT tag FROM registry_tags WHERE repository = ? AND (lower(tag), tag) > (lower(?), ?)
               ORDER BY lower(tag), tag LIMIT ?`,
            )
            .all(repository, last, last, n)
    ) as { tag: string }[];
    return rows.map((r) => r.tag);
  }

  /** Repository names in lexical order after `last`, at most `n`. */
  listRepositories(n: number, last: string | undefined): string[] {
    const rows = this.db
      .prepare('SELECT name FROM registry_repositories WHERE name > ? ORDER BY name LIMIT ?')
      .all(last ?? '', n) as { name: string }[];
    return rows.map((r) => r.name);
  }

  /** Manifests in `repository` whose subject is `digest`, oldest first. */
  referrers(repository: string, digest: string): ManifestRecord[] {
    const rows = this.db
      .prepare(
        'SELECT * FROM registry_manifests WHERE repository = ? AND subject = ? ORDER BY created_at, digest',
      )
      .all(repository, digest) as ManifestRow[];
    return rows.map(toRecord);
  }
}

function toRecord(r: ManifestRow): ManifestRecord {
  return {
    repository: r.repository,
    digest: r.digest,
    mediaType: r.media_type,
    size: r.size,
    artifactType: r.artifact_type ?? undefined,
    subject: r.subject ?? undefined,
    annotations: r.annotations ? (JSON.parse(r.annotations) as Record<string, string>) : undefined,
  };
}
