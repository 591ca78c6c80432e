import { describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { parseDigest, type ParsedDigest } from '../names.ts';
import type { BlobStore } from './types.ts';

/** The one test suite every BlobStore implementation must pass (run from memory.test.ts and fs.test.ts). */
export function blobStoreSuite(name: string, make: () => Promise<BlobStore>): void {
  const digestOf = (data: Buffer, alg: 'sha256' | 'sha512' = 'sha256'): ParsedDigest =>
    parseDigest(`${alg}:${createHash(alg).update(data).digest('hex')}`);
  async function* chunks(...parts: Buffer[]): AsyncIterable<Buffer> {
    for (const p of parts) yield p;
  }
  async function* failing(first: Buffer): AsyncIterable<Buffer> {
    yield first;
    throw new Error('connection reset');
  }
  const readAll = async (
    s: BlobStore,
    d: string,
    range?: { start: number; end: number },
  ): Promise<Buffer> => {
    const { sendTo } = await s.read(d, range);
    const out: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        out.push(Buffer.from(chunk)); // a copy: the sender reuses its buffers
        cb();
      },
    });
    await sendTo(sink);
    return Buffer.concat(out);
  };
  const reasonOf = async (p: Promise<unknown>): Promise<string> =>
    p.then(
      () => 'resolved',
      (e: unknown) => (e as { reason?: string }).reason ?? String(e),
    );

  describe(`BlobStore: ${name}`, () => {
    it('uploads in chunks, verifies, commits and reads back with ranges', async () => {
      const s = await make();
      const a = randomBytes(3 << 20);
      const b = randomBytes(12345);
      await s.createUpload('u1');
      expect(await s.uploadSize('u1')).toBe(0);
      expect(await s.append('u1', 0, chunks(a))).toBe(a.length);
      expect(await s.append('u1', a.length, chunks(b.subarray(0, 5), b.subarray(5)))).toBe(
        a.length + b.length,
      );
      const all = Buffer.concat([a, b]);
      const d = digestOf(all);
      expect(await s.commit('u1', d)).toEqual({ size: all.length });
      expect(await s.uploadSize('u1')).toBeUndefined();
      expect(await s.stat(d.digest)).toBe(all.length);
      expect((await readAll(s, d.digest)).equals(all)).toBe(true);
      expect((await readAll(s, d.digest, { start: 10, end: 19 })).equals(all.subarray(10, 20))).toBe(true);
    });

    it('rejects a wrong digest and keeps the upload intact', async () => {
      const s = await make();
      const data = randomBytes(1000);
      await s.createUpload('u2');
      await s.append('u2', 0, chunks(data));
      expect(await reasonOf(s.commit('u2', digestOf(Buffer.from('other'))))).toBe('DIGEST_INVALID');
      expect(await s.stat(digestOf(Buffer.from('other')).digest)).toBeUndefined();
      expect(await s.uploadSize('u2')).toBe(1000);
      await s.commit('u2', digestOf(data));
    });

    it('verifies sha512 digests', async () => {
      const s = await make();
      const data = randomBytes(4096);
      await s.createUpload('u3');
      await s.append('u3', 0, chunks(data));
      const d = digestOf(data, 'sha512');
      await s.commit('u3', d);
      expect(await s.stat(d.digest)).toBe(4096);
    });

    it('applies a chunk whole or not at all', async () => {
      const s = await make();
      const a = randomBytes(100);
      await s.createUpload('u4');
      await s.append('u4', 0, chunks(a));
      expect(await reasonOf(s.append('u4', 100, failing(randomBytes(50))))).toBe('Error: connection reset');
      expect(await s.uploadSize('u4')).toBe(100);
      expect(await reasonOf(s.append('u4', 100, chunks(randomBytes(20)), 10))).toBe('SIZE_INVALID');
      expect(await s.uploadSize('u4')).toBe(100);
      expect(await reasonOf(s.append('u4', 50, chunks(a)))).toBe('RANGE_INVALID');
      const b = randomBytes(10);
      await s.append('u4', 100, chunks(b));
      await s.commit('u4', digestOf(Buffer.concat([a, b])));
    });

    it('lets two uploads of the same content both commit', async () => {
      const s = await make();
      const data = randomBytes(2 << 20);
      await Promise.all([s.createUpload('c1'), s.createUpload('c2')]);
      await Promise.all([s.append('c1', 0, chunks(data)), s.append('c2', 0, chunks(data))]);
      const d = digestOf(data);
      await Promise.all([s.commit('c1', d), s.commit('c2', d)]);
      expect((await readAll(s, d.digest)).equals(data)).toBe(true);
      expect(await s.listUploads()).toEqual([]);
    });

    it('puts, lists and deletes blobs; unknown ones fail with BLOB_UNKNOWN', async () => {
      const s = await make();
      const data = Buffer.from('{"hello":1}');
      const d = digestOf(data);
      await s.put(d, data);
      await s.put(d, data);
      expect(await reasonOf(s.put(d, Buffer.from('x')))).toBe('DIGEST_INVALID');
      expect((await s.readAll(d.digest)).equals(data)).toBe(true);
      const listed: string[] = [];
      for await (const b of s.list()) listed.push(b.digest);
      expect(listed).toEqual([d.digest]);
      expect(await s.delete(d.digest)).toBe(true);
      expect(await s.delete(d.digest)).toBe(false);
      expect(await reasonOf(s.read(d.digest))).toBe('BLOB_UNKNOWN');
      expect(await reasonOf(s.readAll(d.digest))).toBe('BLOB_UNKNOWN');
    });

    it('refuses unknown or path-like upload ids', async () => {
      const s = await make();
      expect(await reasonOf(s.append('nope', 0, chunks(Buffer.from('x'))))).toBe('BLOB_UPLOAD_UNKNOWN');
      expect(await reasonOf(s.commit('nope', digestOf(Buffer.from(''))))).toBe('BLOB_UPLOAD_UNKNOWN');
      expect(await reasonOf(s.createUpload('../escape'))).toBe('BLOB_UPLOAD_UNKNOWN');
      await s.deleteUpload('nope');
    });

    it('sends large blobs whole and in ranges, several at once, and fails a send whose reader leaves', async () => {
      const s = await make();
      const big = randomBytes((5 << 20) + 3);
      const d = digestOf(big);
      await s.createUpload('big');
      await s.append('big', 0, chunks(big));
      await s.commit('big', d);
      const ranges = [undefined, { start: (2 << 20) - 5, end: (4 << 20) + 7 }, { start: 7, end: 7 }];
      const got = await Promise.all([...ranges, ...ranges].map((r) => readAll(s, d.digest, r)));
      for (const [i, r] of [...ranges, ...ranges].entries()) {
        expect(got[i]!.equals(r ? big.subarray(r.start, r.end + 1) : big)).toBe(true);
      }
      const leaving = new Writable({
        write() {
          this.destroy(new Error('reader gone'));
        },
      });
      await expect((await s.read(d.digest)).sendTo(leaving)).rejects.toThrow();
      expect((await readAll(s, d.digest)).equals(big)).toBe(true);
    });

    it('commits an empty blob', async () => {
      const s = await make();
      await s.createUpload('e');
      const d = digestOf(Buffer.alloc(0));
      await s.commit('e', d);
      expect(await s.stat(d.digest)).toBe(0);
      expect((await readAll(s, d.digest)).length).toBe(0);
    });
  });
}
