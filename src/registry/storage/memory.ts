import { createHash } from 'node:crypto';
import { regError } from '../errors.ts';
import type { ParsedDigest } from '../names.ts';
import type { BlobRead, BlobStore, ByteRange } from './types.ts';
import { sendBuffer } from './send.ts';
import { UploadHashes, checkLimit, checkUploadId, hashBuffer, verifyDigest } from './hashing.ts';

/** A BlobStore in memory, for unit tests and throwaway registries. */
export class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, { data: Buffer; at: number }>();
  private readonly uploads = new Map<string, Buffer[]>();
  private readonly hashes = new UploadHashes();

  /** `now` stamps blobs with a write time, as a filesystem's mtime would. */
  constructor(private readonly now: () => number = Date.now) {}

  async stat(digest: string): Promise<number | undefined> {
    return this.blobs.get(digest)?.data.length;
  }

  async read(digest: string, range?: ByteRange): Promise<BlobRead> {
    const b = this.blobs.get(digest);
    if (!b) throw regError('BLOB_UNKNOWN', `blob unknown: ${digest}`, { digest });
    const data = range ? b.data.subarray(range.start, range.end + 1) : b.data;
    return { size: b.data.length, sendTo: (out) => sendBuffer(data, out) };
  }

  async readAll(digest: string): Promise<Buffer> {
    const b = this.blobs.get(digest);
    if (!b) throw regError('BLOB_UNKNOWN', `blob unknown: ${digest}`, { digest });
    return b.data;
  }

  async put(digest: ParsedDigest, data: Buffer): Promise<void> {
    verifyDigest(digest, hashBuffer(digest.algorithm, data));
    if (!this.blobs.has(digest.digest)) this.blobs.set(digest.digest, { data, at: this.now() });
  }

  async delete(digest: string): Promise<boolean> {
    return this.blobs.delete(digest);
  }

  async *list(): AsyncIterable<{ digest: string; mtimeMs: number }> {
    for (const [digest, b] of [...this.blobs]) yield { digest, mtimeMs: b.at };
  }

  async createUpload(id: string): Promise<void> {
    checkUploadId(id);
    this.uploads.set(id, []);
    this.hashes.start(id);
  }

  async uploadSize(id: string): Promise<number | undefined> {
    const u = this.uploads.get(id);
    return u ? size(u) : undefined;
  }

  async append(id: string, offset: number, body: AsyncIterable<Buffer>, maxBytes?: number): Promise<number> {
    const u = this.chunks(id);
    if (size(u) !== offset) throw regError('RANGE_INVALID', `upload is at ${size(u)}, not ${offset}`);
    const hash = this.hashes.at(id, offset) ?? createHash('sha256').update(Buffer.concat(u));
    const before = hash.copy();
    const received: Buffer[] = [];
    let n = 0;
    try {
      for await (const chunk of body) {
        n += chunk.length;
        checkLimit(n, maxBytes);
        hash.update(chunk);
        received.push(Buffer.from(chunk));
      }
    } catch (e) {
      this.hashes.set(id, before, offset);
      throw e;
    }
    u.push(...received);
    this.hashes.set(id, hash, offset + n);
    return offset + n;
  }

  async commit(id: string, digest: ParsedDigest): Promise<{ size: number }> {
    const data = Buffer.concat(this.chunks(id));
    const hex = this.hashes.digest(id, data.length, digest.algorithm) ?? hashBuffer(digest.algorithm, data);
    verifyDigest(digest, hex);
    if (!this.blobs.has(digest.digest)) this.blobs.set(digest.digest, { data, at: this.now() });
    this.uploads.delete(id);
    this.hashes.drop(id);
    return { size: data.length };
  }

  async deleteUpload(id: string): Promise<void> {
    this.uploads.delete(id);
    this.hashes.drop(id);
  }

  async listUploads(): Promise<string[]> {
    return [...this.uploads.keys()];
  }

  private chunks(id: string): Buffer[] {
    const u = this.uploads.get(id);
    if (!u) throw regError('BLOB_UPLOAD_UNKNOWN', 'unknown upload', { id });
    return u;
  }
}

function size(chunks: Buffer[]): number {
  let n = 0;
  for (const c of chunks) n += c.length;
  return n;
}
