import type { Writable } from 'node:stream';
import type { ParsedDigest } from '../names.ts';

/** An inclusive byte range. */
export interface ByteRange {
  start: number;
  end: number;
}

/** An open committed blob: its total size, and a way to send the requested bytes. */
export interface BlobRead {
  size: number;
  /**
   * Writes the requested bytes to `out` and ends it; rejects when `out` fails or closes early. Call
   * once; the blob stays readable until then even if it is deleted meanwhile.
   */
  sendTo(out: Writable): Promise<void>;
}

/**
 * Content-addressed blob storage, shared by every repository. Committed blobs are immutable and
 * complete: a reader never sees a partial blob, and a crash never loses a committed one. Uploads are
 * append-only byte sequences that become a blob on `commit`, after their digest is verified.
 */
export interface BlobStore {
  /** Size of a committed blob; undefined when absent. */
  stat(digest: string): Promise<number | undefined>;
  /** Reads a committed blob or an inclusive byte range of it; BLOB_UNKNOWN when absent. */
  read(digest: string, range?: ByteRange): Promise<BlobRead>;
  /** Reads a whole (small) committed blob into memory: manifests. */
  readAll(digest: string): Promise<Buffer>;
  /** Stores small content under its digest, verifying it (DIGEST_INVALID on mismatch). */
  put(digest: ParsedDigest, data: Buffer): Promise<void>;
  /** Removes a committed blob; false when it was not there. */
  delete(digest: string): Promise<boolean>;
  /** Every committed blob, with its age in ms since it was written (for gc of orphans). */
  list(): AsyncIterable<{ digest: string; mtimeMs: number }>;

  /** Starts an empty upload. */
  createUpload(id: string): Promise<void>;
  /** Bytes received so far; undefined for an unknown upload. */
  uploadSize(id: string): Promise<number | undefined>;
  /**
   * Appends `body` at `offset` (which must equal the current size), streaming it while hashing. When
   * the body fails midway, the upload is cut back to `offset` and the error rethrown: a chunk is
   * applied whole or not at all. `maxBytes` bounds the chunk (SIZE_INVALID beyond it).
   */
  append(id: string, offset: number, body: AsyncIterable<Buffer>, maxBytes?: number): Promise<number>;
  /**
   * Verifies the upload against `digest` and makes it a committed blob atomically. On mismatch throws
   * DIGEST_INVALID and leaves the upload as it was. Committing content that already exists is fine.
   */
  commit(id: string, digest: ParsedDigest): Promise<{ size: number }>;
  /** Drops an upload and its data; unknown ids are ignored. */
  deleteUpload(id: string): Promise<void>;
  /** Ids of every upload present (for expiry after a restart). */
  listUploads(): Promise<string[]>;
}
