import { randomUUID } from 'node:crypto';
import type { Clock, Logger } from '../shared/index.ts';
import { regError, RegistryError } from './errors.ts';
import type { KeyedLock } from './lock.ts';
import type { RegistryDb } from './meta.ts';
import type { ParsedDigest } from './names.ts';
import type { BlobStore } from './storage/types.ts';
import type { UploadDb } from './uploads-db.ts';

/** A chunk's declared position: Content-Range start-end (inclusive), when the client sent one. */
export interface ChunkRange {
  start: number;
  end: number;
}

export interface UploadDeps {
  store: BlobStore;
  meta: RegistryDb;
  uploads: UploadDb;
  locks: KeyedLock;
  clock: Clock;
  logger: Logger;
}

/**
 * Upload sessions: start, append chunks in order (416 otherwise), finish with a digest, cancel,
 * expire when abandoned. All work on one session is serialized; committing a blob holds the blob's
 * digest lock, which gc also takes.
 */
export class Uploads {
  constructor(private readonly d: UploadDeps) {}

  async start(repository: string): Promise<string> {
    const id = randomUUID();
    this.d.uploads.create(id, repository, this.d.clock.now());
    await this.d.store.createUpload(id);
    return id;
  }

  /** Bytes received so far; BLOB_UPLOAD_UNKNOWN for an unknown session or one of another repository. */
  async status(repository: string, id: string): Promise<number> {
    return this.session(id, () => this.sizeOf(repository, id));
  }

  /** Appends a chunk; with `range`, the chunk must start where the upload ends and be that long. */
  async append(
    repository: string,
    id: string,
    body: AsyncIterable<Buffer>,
    range?: ChunkRange,
  ): Promise<number> {
    return this.session(id, async () => {
      const size = await this.sizeOf(repository, id);
      const size2 = await this.appendAt(id, size, body, range);
      this.d.uploads.touch(id, size2, this.d.clock.now());
      return size2;
    });
  }

  /** Appends the final chunk (if any), verifies `digest` and commits; the session ends either way on a bad digest. */
  async finish(
    repository: string,
    id: string,
    digest: ParsedDigest,
    body: AsyncIterable<Buffer> | undefined,
    range?: ChunkRange,
  ): Promise<number> {
    return this.session(id, async () => {
      const size = await this.sizeOf(repository, id);
      if (body) await this.appendAt(id, size, body, range);
      try {
        const committed = await this.d.locks.run(`blob:${digest.digest}`, async () => {
          const r = await this.d.store.commit(id, digest);
          this.d.meta.linkBlob(repository, digest.digest, r.size, this.d.clock.now());
          return r.size;
        });
        this.d.uploads.delete(id);
        return committed;
      } catch (e) {
        if (e instanceof RegistryError && e.reason === 'DIGEST_INVALID') await this.drop(id);
        throw e;
      }
    });
  }

  async cancel(repository: string, id: string): Promise<void> {
    await this.session(id, async () => {
      await this.sizeOf(repository, id);
      await this.drop(id);
    });
  }

  /** Removes sessions idle longer than `ttlMs`, and upload data no session owns (a crash's leftovers). */
  async expire(ttlMs: number): Promise<number> {
    const cutoff = this.d.clock.now() - ttlMs;
    let n = 0;
    for (const id of this.d.uploads.idleSince(cutoff)) {
      await this.session(id, async () => {
        const rec = this.d.uploads.get(id);
        if (!rec || rec.updatedAt >= cutoff) return;
        await this.drop(id);
        n++;
      });
    }
    for (const id of await this.d.store.listUploads()) {
      if (this.d.locks.busy(`upload:${id}`) || this.d.uploads.exists(id)) continue;
      await this.session(id, () => this.d.store.deleteUpload(id));
      n++;
    }
    if (n > 0) this.d.logger.info({ expired: n }, 'registry: removed abandoned uploads');
    return n;
  }

  private async appendAt(
    id: string,
    size: number,
    body: AsyncIterable<Buffer>,
    range?: ChunkRange,
  ): Promise<number> {
    if (!range) return this.d.store.append(id, size, body);
    if (range.start !== size) {
      throw regError('RANGE_INVALID', `chunk starts at ${range.start} but the upload is at ${size}`, {
        size,
      });
    }
    return this.d.store.append(id, size, exactly(body, range.end - range.start + 1));
  }

  private async sizeOf(repository: string, id: string): Promise<number> {
    const rec = this.d.uploads.get(id);
    const size = rec && rec.repository === repository ? await this.d.store.uploadSize(id) : undefined;
    if (size === undefined) throw regError('BLOB_UPLOAD_UNKNOWN', 'blob upload unknown to registry', { id });
    return size;
  }

  private async drop(id: string): Promise<void> {
    this.d.uploads.delete(id);
    await this.d.store.deleteUpload(id);
  }

  private session<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.d.locks.run(`upload:${id}`, fn);
  }
}

/** Passes `body` through, failing (so the store rolls the chunk back) unless it is exactly `n` bytes. */
async function* exactly(body: AsyncIterable<Buffer>, n: number): AsyncIterable<Buffer> {
  let got = 0;
  for await (const chunk of body) {
    got += chunk.length;
    if (got > n) throw regError('SIZE_INVALID', `chunk is longer than its Content-Range (${n} bytes)`);
    yield chunk;
  }
  if (got !== n) throw regError('SIZE_INVALID', `chunk is ${got} bytes but its Content-Range says ${n}`);
}
