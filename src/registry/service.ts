import { createHash } from 'node:crypto';
import type { Db } from '../store/index.ts';
import type { Clock, Logger, TimerHandle } from '../shared/index.ts';
import { regError } from './errors.ts';
import { KeyedLock } from './lock.ts';
import { parseManifest, type Descriptor } from './manifest.ts';
import { RegistryDb, type ManifestRecord } from './meta.ts';
import { assertTag, looksLikeDigest, parseDigest, type ParsedDigest } from './names.ts';
import type { BlobRead, BlobStore, ByteRange } from './storage/types.ts';
import { UploadDb } from './uploads-db.ts';
import { Uploads } from './uploads.ts';

export interface RegistryOptions {
  db: Db;
  store: BlobStore;
  clock: Clock;
  logger: Logger;
  /** Idle upload sessions older than this are removed (default 1 hour). */
  uploadTtlMs?: number;
}

/** A manifest reference in a URL: a tag, or a digest. */
export type ManifestRef = { tag: string } | { digest: ParsedDigest };

/** Parses the `<reference>` of /v2/<name>/manifests/<reference>. */
export function parseManifestRef(reference: string): ManifestRef {
  if (reference.includes(':') || looksLikeDigest(reference)) return { digest: parseDigest(reference) };
  assertTag(reference);
  return { tag: reference };
}

/**
 * The registry's operations, independent of HTTP: blobs, uploads, manifests, tags, referrers and the
 * catalog over one BlobStore and the registry tables. Repository names reaching it are validated.
 */
export class Registry {
  readonly meta: RegistryDb;
  readonly uploadsDb: UploadDb;
  readonly uploads: Uploads;
  readonly locks = new KeyedLock();
  readonly store: BlobStore;
  readonly clock: Clock;
  private readonly uploadTtlMs: number;
  private timer: TimerHandle | undefined;
  private expiring: Promise<unknown> | undefined;
  private stopped = false;

  constructor(private readonly o: RegistryOptions) {
    this.meta = new RegistryDb(o.db);
    this.uploadsDb = new UploadDb(o.db);
    this.store = o.store;
    this.clock = o.clock;
    this.uploadTtlMs = o.uploadTtlMs ?? 60 * 60 * 1000;
    this.uploads = new Uploads({
      store: o.store,
      meta: this.meta,
      uploads: this.uploadsDb,
      locks: this.locks,
      clock: o.clock,
      logger: o.logger,
    });
  }

  /** Starts the periodic removal of abandoned uploads. */
  async start(): Promise<void> {
    this.schedule();
  }

  async dispose(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    await this.expiring;
  }

  private schedule(): void {
    if (this.stopped) return;
    const every = Math.max(1000, Math.min(this.uploadTtlMs / 4, 5 * 60 * 1000));
    this.timer = this.o.clock.setTimeout(() => {
      this.expiring = this.uploads
        .expire(this.uploadTtlMs)
        .catch((err: unknown) => this.o.logger.warn({ err }, 'registry: upload expiry failed'))
        .finally(() => this.schedule());
    }, every);
  }

  /** Size of a blob in `repository`; BLOB_UNKNOWN when it is not linked there. */
  statBlob(repository: string, digest: string): number {
    const size = this.meta.blobInRepository(repository, parseDigest(digest).digest, this.clock.now());
    if (size === undefined) throw regError('BLOB_UNKNOWN', 'blob unknown to registry', { digest });
    return size;
  }

  async readBlob(repository: string, digest: string, range?: ByteRange): Promise<BlobRead> {
    this.statBlob(repository, digest);
    return this.store.read(digest, range);
  }

  deleteBlob(repository: string, digest: string): void {
    if (!this.meta.unlinkBlob(repository, parseDigest(digest).digest)) {
      throw regError('BLOB_UNKNOWN', 'blob unknown to registry', { digest });
    }
  }

  /** Links a blob of `from` into `repository`; false when `from` does not hold it. */
  mountBlob(repository: string, digest: string, from: string): boolean {
    const size = this.meta.blobInRepository(from, digest, this.clock.now());
    if (size === undefined) return false;
    this.meta.linkBlob(repository, digest, size, this.clock.now());
    return true;
  }

  /** Resolves a manifest reference to its record; NAME_UNKNOWN / MANIFEST_UNKNOWN when absent. */
  resolveManifest(repository: string, ref: ManifestRef): ManifestRecord {
    const digest = 'tag' in ref ? this.meta.resolveTag(repository, ref.tag) : ref.digest.digest;
    const rec = digest === undefined ? undefined : this.meta.getManifest(repository, digest);
    if (rec) return rec;
    if (!this.meta.repositoryExists(repository)) {
      throw regError('NAME_UNKNOWN', `repository ${repository} not known to registry`, { name: repository });
    }
    throw regError(
      'MANIFEST_UNKNOWN',
      'manifest unknown to registry',
      'tag' in ref ? { tag: ref.tag } : { digest },
    );
  }

  async getManifest(repository: string, ref: ManifestRef): Promise<{ record: ManifestRecord; body: Buffer }> {
    const record = this.resolveManifest(repository, ref);
    return { record, body: await this.store.readAll(record.digest) };
  }

  /**
   * Stores a manifest under its digest (and `tag`): validated, within the size limit (checked by the
   * caller while reading), every referenced blob present in the repository.
   */
  async putManifest(
    repository: string,
    ref: ManifestRef,
    body: Buffer,
    contentType: string | undefined,
  ): Promise<{ digest: string; subject: string | undefined }> {
    const parsed = parseManifest(body, contentType);
    const algorithm = 'digest' in ref ? ref.digest.algorithm : 'sha256';
    const digest = parseDigest(`${algorithm}:${createHash(algorithm).update(body).digest('hex')}`);
    if ('digest' in ref && ref.digest.digest !== digest.digest) {
      throw regError('DIGEST_INVALID', 'manifest does not match the digest in the URL', {
        expected: ref.digest.digest,
        actual: digest.digest,
      });
    }
    const record: ManifestRecord = {
      repository,
      digest: digest.digest,
      mediaType: parsed.mediaType,
      size: body.length,
      artifactType: parsed.artifactType,
      subject: parsed.subject,
      annotations: parsed.annotations,
    };
    await this.locks.run(`blob:${digest.digest}`, async () => {
      await this.store.put(digest, body);
      this.meta.putManifest(record, parsed.refs, 'tag' in ref ? ref.tag : undefined, this.clock.now());
    });
    return { digest: digest.digest, subject: parsed.subject };
  }

  /** Deletes a manifest (by digest: with its tags) or only a tag. */
  deleteManifest(repository: string, ref: ManifestRef): void {
    const done =
      'tag' in ref
        ? this.meta.deleteTag(repository, ref.tag)
        : this.meta.deleteManifest(repository, ref.digest.digest);
    if (done) return;
    this.resolveManifest(repository, ref);
    throw regError('MANIFEST_UNKNOWN', 'manifest unknown to registry');
  }

  /** Up to `n` tags after `last`, and whether more follow. */
  listTags(repository: string, n: number, last: string | undefined): { tags: string[]; more: boolean } {
    if (!this.meta.repositoryExists(repository)) {
      throw regError('NAME_UNKNOWN', `repository ${repository} not known to registry`, { name: repository });
    }
    const tags = this.meta.listTags(repository, n + 1, last);
    return { tags: tags.slice(0, n), more: tags.length > n };
  }

  /** Up to `n` repositories after `last` that `visible` admits, and whether more follow. */
  async catalog(
    n: number,
    last: string | undefined,
    visible: (repository: string) => Promise<boolean>,
  ): Promise<{ repositories: string[]; more: boolean }> {
    const out: string[] = [];
    let cursor = last;
    for (;;) {
      const page = this.meta.listRepositories(Math.max(n + 1, 100), cursor);
      for (const r of page) {
        if (!(await visible(r))) continue;
        if (out.length === n) return { repositories: out, more: true };
        out.push(r);
      }
      if (page.length === 0 || page.length < Math.max(n + 1, 100)) return { repositories: out, more: false };
      cursor = page[page.length - 1];
    }
  }

  /** Descriptors of the manifests in `repository` whose subject is `digest`, optionally by artifactType. */
  referrers(repository: string, digest: string, artifactType: string | undefined): Descriptor[] {
    const subject = parseDigest(digest).digest;
    return this.meta
      .referrers(repository, subject)
      .filter((r) => artifactType === undefined || r.artifactType === artifactType)
      .map((r) => {
        const d: Descriptor = { mediaType: r.mediaType, digest: r.digest, size: r.size };
        if (r.artifactType !== undefined) d.artifactType = r.artifactType;
        if (r.annotations !== undefined) d.annotations = r.annotations;
        return d;
      });
  }
}
