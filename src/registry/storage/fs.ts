import { mkdir, open, readdir, rename, stat, unlink, readFile, type FileHandle } from 'node:fs/promises';
import { createHash, type Hash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { regError } from '../errors.ts';
import { tryParseDigest, type DigestAlgorithm, type ParsedDigest } from '../names.ts';
import type { BlobRead, BlobStore, ByteRange } from './types.ts';
import { UploadHashes, checkUploadId, verifyDigest, hashBuffer } from './hashing.ts';
import { sendFile } from './send.ts';
import { writeStream } from './write.ts';

const READ_CHUNK = 1 << 20;

/**
 * Content-addressed blobs on the filesystem: `<root>/blobs/<alg>/<xx>/<hex>` for committed blobs and
 * `<root>/uploads/<id>` for uploads in progress. A blob appears by rename of a fully written, fsynced
 * file, so a crash leaves either the whole blob or none of it.
 */
export class FsBlobStore implements BlobStore {
  private readonly hashes = new UploadHashes();
  private readonly madeDirs = new Set<string>();

  constructor(readonly root: string) {}

  async init(): Promise<void> {
    await mkdir(join(this.root, 'uploads'), { recursive: true });
    await mkdir(join(this.root, 'blobs'), { recursive: true });
  }

  async stat(digest: string): Promise<number | undefined> {
    try {
      return (await stat(this.blobPath(digest))).size;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async read(digest: string, range?: ByteRange): Promise<BlobRead> {
    // Opening first means a concurrent delete cannot cut a read short.
    const fh = await this.openBlob(digest);
    let size: number;
    try {
      size = (await fh.stat()).size;
    } catch (e) {
      await fh.close();
      throw e;
    }
    const start = range?.start ?? 0;
    const length = range ? range.end - range.start + 1 : size;
    return {
      size,
      sendTo: (out) => sendFile(fh, start, length, out).finally(() => fh.close()),
    };
  }

  async readAll(digest: string): Promise<Buffer> {
    try {
      return await readFile(this.blobPath(digest));
    } catch (e) {
      if (isNotFound(e)) throw regError('BLOB_UNKNOWN', `blob unknown: ${digest}`, { digest });
      throw e;
    }
  }

  async put(digest: ParsedDigest, data: Buffer): Promise<void> {
    verifyDigest(digest, hashBuffer(digest.algorithm, data));
    const tmp = join(this.root, 'uploads', `put-${randomUUID()}`);
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await this.place(tmp, digest.digest);
  }

  async delete(digest: string): Promise<boolean> {
    try {
      await unlink(this.blobPath(digest));
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  async *list(): AsyncIterable<{ digest: string; mtimeMs: number }> {
    for (const alg of ['sha256', 'sha512']) {
      const base = join(this.root, 'blobs', alg);
      for (const shard of await readdirOrEmpty(base)) {
        for (const hex of await readdirOrEmpty(join(base, shard))) {
          const digest = `${alg}:${hex}`;
          if (!tryParseDigest(digest)) continue;
          const st = await stat(join(base, shard, hex)).catch(() => undefined);
          if (st) yield { digest, mtimeMs: st.mtimeMs };
        }
      }
    }
  }

  async createUpload(id: string): Promise<void> {
    checkUploadId(id);
    const fh = await open(this.uploadPath(id), 'wx');
    await fh.close();
    this.hashes.start(id);
  }

  async uploadSize(id: string): Promise<number | undefined> {
    checkUploadId(id);
    try {
      return (await stat(this.uploadPath(id))).size;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async append(id: string, offset: number, body: AsyncIterable<Buffer>, maxBytes?: number): Promise<number> {
    const fh = await this.openUpload(id, 'r+');
    try {
      const { size } = await fh.stat();
      if (size !== offset) throw regError('RANGE_INVALID', `upload is at ${size}, not ${offset}`);
      const hash = this.hashes.at(id, size) ?? (await hashFile(fh, 'sha256', size));
      const before = hash.copy();
      try {
        const end = await writeStream(fh, offset, body, hash, maxBytes);
        this.hashes.set(id, hash, end);
        return end;
      } catch (e) {
        await fh.truncate(offset);
        this.hashes.set(id, before, offset);
        throw e;
      }
    } finally {
      await fh.close();
    }
  }

  async commit(id: string, digest: ParsedDigest): Promise<{ size: number }> {
    const path = this.uploadPath(id);
    const fh = await this.openUpload(id, 'r');
    let size: number;
    try {
      size = (await fh.stat()).size;
      const hex =
        this.hashes.digest(id, size, digest.algorithm) ??
        (await hashFile(fh, digest.algorithm, size)).digest('hex');
      verifyDigest(digest, hex);
      // The data and the metadata needed to read it (size, block map); the rename is made durable by
      // the directory's fsync in place().
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await this.place(path, digest.digest);
    this.hashes.drop(id);
    return { size };
  }

  async deleteUpload(id: string): Promise<void> {
    checkUploadId(id);
    this.hashes.drop(id);
    await unlink(this.uploadPath(id)).catch((e: unknown) => {
      if (!isNotFound(e)) throw e;
    });
  }

  async listUploads(): Promise<string[]> {
    return (await readdirOrEmpty(join(this.root, 'uploads'))).filter((n) => !n.startsWith('put-'));
  }

  /** Moves a complete, fsynced file into place as `digest`; content already there wins. */
  private async place(tmp: string, digest: string): Promise<void> {
    const target = this.blobPath(digest);
    if ((await this.stat(digest)) !== undefined) {
      await unlink(tmp);
      return;
    }
    const dir = dirname(target);
    if (!this.madeDirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.madeDirs.add(dir);
    }
    await rename(tmp, target);
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }

  private blobPath(digest: string): string {
    const p = tryParseDigest(digest);
    if (!p) throw regError('DIGEST_INVALID', 'invalid digest');
    return join(this.root, 'blobs', p.algorithm, p.hex.slice(0, 2), p.hex);
  }

  private uploadPath(id: string): string {
    checkUploadId(id);
    return join(this.root, 'uploads', id);
  }

  private async openBlob(digest: string): Promise<FileHandle> {
    try {
      return await open(this.blobPath(digest), 'r');
    } catch (e) {
      if (isNotFound(e)) throw regError('BLOB_UNKNOWN', `blob unknown: ${digest}`, { digest });
      throw e;
    }
  }

  private async openUpload(id: string, flags: string): Promise<FileHandle> {
    try {
      return await open(this.uploadPath(id), flags);
    } catch (e) {
      if (isNotFound(e)) throw regError('BLOB_UPLOAD_UNKNOWN', 'unknown upload', { id });
      throw e;
    }
  }
}

async function hashFile(fh: FileHandle, algorithm: DigestAlgorithm, size: number): Promise<Hash> {
  const hash = createHash(algorithm);
  const buf = Buffer.allocUnsafe(READ_CHUNK);
  for (let pos = 0; pos < size;) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - pos), pos);
    if (bytesRead === 0) break;
    hash.update(buf.subarray(0, bytesRead));
    pos += bytesRead;
  }
  return hash;
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
}

function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
