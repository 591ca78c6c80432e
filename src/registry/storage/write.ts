import type { FileHandle } from 'node:fs/promises';
import type { Hash } from 'node:crypto';
import { checkLimit } from './hashing.ts';

/**
 * Received data is written once this much is pending, or (while a write is on disk) everything
 * that arrived meanwhile in one writev: each write is a trip through the libuv pool, and on a
 * loaded machine that trip, not the disk, bounds a stream written in fixed small batches.
 */
const MIN_WRITE = 256 << 10;
/** Reading from the client pauses while this much waits for the disk. */
const MAX_PENDING = 16 << 20;
/**
 * While an upload streams in, its data is flushed to disk every this many bytes in the background,
 * so the fsync that commits the blob only waits for the tail. Without it, all of a large layer is
 * still dirty in the page cache at commit and the client waits for the whole write-back.
 */
const FLUSH_EVERY = 8 << 20;
/** Background flushes in flight across all uploads: each holds a libuv pool thread that writes need too. */
const MAX_FLUSHES = 2;
let flushing = 0;

/**
 * Streams `body` into `fh` from `offset`, hashing as it goes; the disk writes overlap with
 * receiving. Returns the new end of the file.
 */
export async function writeStream(
  fh: FileHandle,
  offset: number,
  body: AsyncIterable<Buffer>,
  hash: Hash,
  maxBytes: number | undefined,
): Promise<number> {
  const w = new Writer(fh, offset);
  let received = 0;
  try {
    for await (const chunk of body) {
      received += chunk.length;
      checkLimit(received, maxBytes);
      hash.update(chunk);
      await w.add(chunk);
    }
  } finally {
    await w.settle();
  }
  return checkEnd(await w.finish(), offset + received);
}

/** The hash covers exactly what was received: the file must end there too. */
function checkEnd(end: number, expected: number): number {
  if (end !== expected) throw new Error(`upload write ended at ${end}, expected ${expected}`);
  return end;
}

/** Overlapping writer: at most one write on disk at a time, carrying everything pending. */
class Writer {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private pos: number;
  private writing: Promise<void> | undefined;
  private error: unknown;
  private sinceFlush = 0;
  private flush: Promise<void> | undefined;

  constructor(
    private readonly fh: FileHandle,
    offset: number,
  ) {
    this.pos = offset;
  }

  async add(chunk: Buffer): Promise<void> {
    if (this.error) throw this.error;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= MIN_WRITE) this.kick();
    while (this.pendingBytes >= MAX_PENDING && this.writing) await this.writing;
    if (this.error) throw this.error;
  }

  /** Waits for every write (and background flush) to end, errors or not. */
  async settle(): Promise<void> {
    while (this.writing) await this.writing;
    await this.flush;
  }

  /** Writes everything still pending (also when a write is in flight now); the new end of the file. */
  async finish(): Promise<number> {
    for (;;) {
      if (this.error) throw this.error;
      if (this.writing) await this.writing;
      else if (this.pendingBytes > 0) this.kick();
      else break;
    }
    await this.flush;
    if (this.error) throw this.error;
    return this.pos;
  }

  private kick(): void {
    if (this.writing || this.pendingBytes === 0 || this.error) return;
    const bufs = this.pending;
    const at = this.pos;
    this.pos += this.pendingBytes;
    this.sinceFlush += this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    this.writing = writeAll(this.fh, bufs, at).then(
      () => {
        this.writing = undefined;
        this.startFlush();
        if (this.pendingBytes >= MIN_WRITE) this.kick();
      },
      (e: unknown) => {
        this.error = e;
        this.writing = undefined;
      },
    );
  }

  private startFlush(): void {
    if (this.sinceFlush < FLUSH_EVERY || this.flush || flushing >= MAX_FLUSHES) return;
    this.sinceFlush = 0;
    flushing++;
    this.flush = this.fh
      .datasync()
      .catch(() => undefined) // only an early start of the commit's own fsync; that one reports errors
      .finally(() => {
        flushing--;
        this.flush = undefined;
      });
  }
}

async function writeAll(fh: FileHandle, bufs: Buffer[], position: number): Promise<void> {
  let at = position;
  let rest = bufs;
  while (rest.length > 0) {
    const { bytesWritten } = await fh.writev(rest, at);
    at += bytesWritten;
    let skip = bytesWritten;
    const next: Buffer[] = [];
    for (const b of rest) {
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      next.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
    rest = next;
  }
}
