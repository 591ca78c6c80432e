import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
});
