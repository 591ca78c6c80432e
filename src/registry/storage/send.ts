import type { FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';

/**
 * Blob downloads move this much per read and per socket write. Larger pieces mean fewer trips through
 * the libuv pool and fewer writes; the socket's send buffer (up to 4 MiB here) takes a piece whole.
 */
const SEND_CHUNK = 2 << 20;
/** Idle send buffers kept for the next download (a fresh one costs an mmap and its page faults). */
const POOL_MAX = 8;
const pool: Buffer[] = [];

function takeBuffer(size: number): Buffer {
  if (size < SEND_CHUNK) return Buffer.allocUnsafe(size);
  return pool.pop() ?? Buffer.allocUnsafeSlow(SEND_CHUNK);
}

function giveBack(buf: Buffer): void {
  if (buf.length === SEND_CHUNK && pool.length < POOL_MAX) pool.push(buf);
}

/**
 * Writes `length` bytes of `fh` from `start` to `out` and ends it. Two buffers take turns: the next
 * piece is read from the file while the previous one is being written to the socket, and a buffer is
 * only reused once its write has completed, so nothing is copied or allocated per piece. Rejects when
 * `out` fails or closes early; never closes `fh` (the caller owns it).
 */
export async function sendFile(fh: FileHandle, start: number, length: number, out: Writable): Promise<void> {
  const piece = Math.min(length, SEND_CHUNK);
  const bufs = length > 0 ? [takeBuffer(piece), takeBuffer(piece)] : [];
  const closed = closedEarly(out);
  let ok = false;
  try {
    let writing: Promise<void> | undefined;
    for (let pos = start, end = start + length, turn = 0; pos < end; turn ^= 1) {
      const buf = bufs[turn]!;
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
      if (bytesRead === 0) throw new Error(`blob ended at ${pos}, before ${end}`);
      pos += bytesRead;
      await Promise.race([writing, closed.promise]);
      writing = write(out, buf.subarray(0, bytesRead));
    }
    await Promise.race([writing, closed.promise]);
    out.end();
    ok = true;
  } finally {
    closed.dispose();
    // After a failure a write may still hold a buffer: only buffers whose writes all completed go back.
    if (ok) bufs.forEach(giveBack);
  }
}

/** Writes `data` to `out` and ends it; rejects when `out` fails or closes early. */
export async function sendBuffer(data: Buffer, out: Writable): Promise<void> {
  const closed = closedEarly(out);
  try {
    if (data.length > 0) await Promise.race([write(out, data), closed.promise]);
    out.end();
  } finally {
    closed.dispose();
  }
}

function write(out: Writable, chunk: Buffer): Promise<void> {
  const p = new Promise<void>((resolve, reject) => {
    out.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
  // Awaited in a race with the close: when the close wins, this one's failure is expected.
  p.catch(() => undefined);
  return p;
}

/** A promise that rejects when `out` fails or closes before it has finished. */
function closedEarly(out: Writable): { promise: Promise<never>; dispose(): void } {
  let onClose!: () => void;
  let onError!: (err: Error) => void;
  const promise = new Promise<never>((_, reject) => {
    onClose = () => {
      if (!out.writableFinished) reject(new Error('connection closed during download'));
    };
    onError = reject;
    out.on('close', onClose);
    out.on('error', onError);
  });
  promise.catch(() => undefined);
  return {
    promise,
    dispose: () => {
      out.off('close', onClose);
      out.off('error', onError);
    },
  };
}
