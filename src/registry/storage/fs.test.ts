import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FsBlobStore } from './fs.ts';
import { blobStoreSuite } from './suite.ts';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

async function make(): Promise<FsBlobStore> {
  const root = mkdtempSync(join(tmpdir(), 'tarmac-blobs-'));
  roots.push(root);
  const s = new FsBlobStore(root);
  await s.init();
  return s;
}

blobStoreSuite('filesystem', make);

describe('FsBlobStore layout', () => {
  it('shards committed blobs by digest and leaves no temporary files', async () => {
    const s = await make();
    await s.createUpload('a');
    await s.append(
      'a',
      0,
      (async function* () {
        yield Buffer.from('hello');
      })(),
    );
    const hex = '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824';
    await s.commit('a', { algorithm: 'sha256', hex, digest: `sha256:${hex}` });
    expect(readdirSync(join(s.root, 'blobs', 'sha256', '2c'))).toEqual([hex]);
    expect(readdirSync(join(s.root, 'uploads'))).toEqual([]);
  });

  it('resumes hashing of an upload it did not see start (restart)', async () => {
    const s = await make();
    writeFileSync(join(s.root, 'uploads', 'r1'), 'hel');
    const again = new FsBlobStore(s.root);
    await again.append(
      'r1',
      3,
      (async function* () {
        yield Buffer.from('lo');
      })(),
    );
    const hex = '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824';
    expect(await again.commit('r1', { algorithm: 'sha256', hex, digest: `sha256:${hex}` })).toEqual({
      size: 5,
    });
  });

  it('streams a large body (pausing for the disk), a tail behind a write in flight, one failing midway, one too long', async () => {
    const s = await make();
    const parts = Array.from({ length: 48 }, () => randomBytes(1 << 20));
    const all = Buffer.concat(parts);
    await s.createUpload('sb');
    expect(await s.append('sb', 0, Readable.from(parts))).toBe(all.length);
    // A tail smaller than one write, arriving while the write before it is still on disk.
    const tail = [randomBytes(1 << 20), randomBytes(1000)];
    await s.createUpload('tail');
    expect(await s.append('tail', 0, Readable.from(tail))).toBe((1 << 20) + 1000);
    expect(await s.uploadSize('tail')).toBe((1 << 20) + 1000);
    const failing = Readable.from(
      (async function* () {
        yield randomBytes(1000);
        throw new Error('connection reset');
      })(),
    );
    await expect(s.append('sb', all.length, failing)).rejects.toThrow('connection reset');
    const long = Readable.from([randomBytes(30)]);
    await expect(s.append('sb', all.length, long, 20)).rejects.toMatchObject({ reason: 'SIZE_INVALID' });
    expect(await s.uploadSize('sb')).toBe(all.length);
    const hex = createHash('sha256').update(all).digest('hex');
    await s.commit('sb', { algorithm: 'sha256', hex, digest: `sha256:${hex}` });
    expect(readFileSync(join(s.root, 'blobs', 'sha256', hex.slice(0, 2), hex)).equals(all)).toBe(true);
  });
});
