import { createHash, type Hash } from 'node:crypto';
import { regError } from '../errors.ts';
import type { DigestAlgorithm, ParsedDigest } from '../names.ts';

/**
 * Running sha256 state per upload, so committing a blob streamed in chunks needs no second read.
 * A state is only trusted when it covers exactly the bytes the upload holds; otherwise (after a
 * restart, or for sha512) the store re-reads the data.
 */
export class UploadHashes {
  private readonly states = new Map<string, { hash: Hash; bytes: number }>();

  /** Starts tracking a new, empty upload. */
  start(id: string): void {
    this.states.set(id, { hash: createHash('sha256'), bytes: 0 });
  }

  /** The running hash if it covers exactly `size` bytes, else undefined (and the state is dropped). */
  at(id: string, size: number): Hash | undefined {
    const s = this.states.get(id);
    if (!s) return undefined;
    if (s.bytes !== size) {
      this.states.delete(id);
      return undefined;
    }
    return s.hash;
  }

  /** Records that `hash` now covers `size` bytes of the upload. */
  set(id: string, hash: Hash, size: number): void {
    this.states.set(id, { hash, bytes: size });
  }

  /** The hex digest for `size` bytes with `algorithm`, when the running state can answer it. */
  digest(id: string, size: number, algorithm: DigestAlgorithm): string | undefined {
    if (algorithm !== 'sha256') return undefined;
    return this.at(id, size)?.copy().digest('hex');
  }

  drop(id: string): void {
    this.states.delete(id);
  }
}

export function hashBuffer(algorithm: DigestAlgorithm, data: Buffer): string {
  return createHash(algorithm).update(data).digest('hex');
}

/** Throws DIGEST_INVALID unless `actualHex` is the hex of `expected`. */
export function verifyDigest(expected: ParsedDigest, actualHex: string): void {
  if (actualHex !== expected.hex) {
    throw regError('DIGEST_INVALID', `content does not match digest ${expected.digest}`, {
      expected: expected.digest,
      actual: `${expected.algorithm}:${actualHex}`,
    });
  }
}

/** Throws SIZE_INVALID when a chunk would grow past its limit. */
export function checkLimit(received: number, maxBytes: number | undefined): void {
  if (maxBytes !== undefined && received > maxBytes) {
    throw regError('SIZE_INVALID', `chunk is larger than the declared ${maxBytes} bytes`);
  }
}

/** Validates an upload id before it becomes part of a path. */
export function checkUploadId(id: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,127}$/.test(id)) {
    throw regError('BLOB_UPLOAD_UNKNOWN', 'unknown upload');
  }
}
