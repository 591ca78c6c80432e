import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../store/index.ts';
import { FakeClock, silentLogger } from '../shared/index.ts';
import { collectGarbage } from './gc.ts';
import { MEDIA } from './manifest.ts';
import { parseDigest } from './names.ts';
import { Registry, parseManifestRef } from './service.ts';
import { MemoryBlobStore } from './storage/memory.ts';

const HOUR = 3_600_000;

function setup(): { reg: Registry; clock: FakeClock; db: ReturnType<typeof openDatabase> } {
  const clock = new FakeClock(Date.now() - 10 * HOUR);
  const db = openDatabase(':memory:');
  const reg = new Registry({
    db,
    store: new MemoryBlobStore(() => clock.now()),
    clock,
    logger: silentLogger(),
  });
  return { reg, clock, db };
}

async function pushBlob(reg: Registry, repo: string, data: Buffer): Promise<string> {
  const digest = parseDigest(`sha256:${createHash('sha256').update(data).digest('hex')}`);
  const id = await reg.uploads.start(repo);
  await reg.uploads.finish(
    repo,
    id,
    digest,
    (async function* () {
      yield data;
    })(),
  );
  return digest.digest;
}

async function pushImage(
  reg: Registry,
  repo: string,
  tag: string,
): Promise<{ digest: string; layer: string }> {
  const layer = await pushBlob(reg, repo, randomBytes(100));
  const config = await pushBlob(reg, repo, Buffer.from('{}'));
  const body = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 2 },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer, size: 100 }],
    }),
  );
  const { digest } = await reg.putManifest(repo, parseManifestRef(tag), body, MEDIA.ociManifest);
  return { digest, layer };
}

describe('registry gc', () => {
  it('keeps referenced blobs, sweeps unreferenced old ones, spares recent ones', async () => {
    const { reg, clock, db } = setup();
    const img = await pushImage(reg, 'p/app', 'v1');
    const stray = await pushBlob(reg, 'p/app', randomBytes(50));
    clock.advance(2 * HOUR);
    const fresh = await pushBlob(reg, 'p/app', randomBytes(60));
    expect(await collectGarbage(reg, db, { dryRun: true })).toEqual({ blobs: 1, bytes: 50, orphans: 0 });
    expect(await collectGarbage(reg, db)).toEqual({ blobs: 1, bytes: 50, orphans: 0 });
    expect(await reg.store.stat(stray)).toBeUndefined();
    expect(() => reg.statBlob('p/app', stray)).toThrow(/unknown/);
    expect(reg.statBlob('p/app', img.layer)).toBe(100);
    expect(reg.statBlob('p/app', fresh)).toBe(60);
    expect((await reg.getManifest('p/app', parseManifestRef('v1'))).record.digest).toBe(img.digest);
  });

  it('sweeps the layers of a deleted manifest once the grace has passed', async () => {
    const { reg, clock, db } = setup();
    const img = await pushImage(reg, 'p/app', 'v1');
    reg.deleteManifest('p/app', parseManifestRef(img.digest));
    expect((await collectGarbage(reg, db)).blobs).toBe(0);
    clock.advance(2 * HOUR);
    expect((await collectGarbage(reg, db)).blobs).toBe(3);
    expect(await reg.store.stat(img.layer)).toBeUndefined();
  });

  it('does not sweep a blob a push starts using while gc runs', async () => {
    const { reg, clock, db } = setup();
    const old = await pushBlob(reg, 'p/app', randomBytes(70));
    clock.advance(2 * HOUR);
    // A client checks the blob (HEAD) and goes on to push a manifest that uses it.
    const gc = collectGarbage(reg, db);
    reg.statBlob('p/app', old);
    await gc;
    expect(await reg.store.stat(old)).toBe(70);
  });

  it('removes files without any record (a crash between rename and insert)', async () => {
    const { reg, clock, db } = setup();
    const data = Buffer.from('orphan');
    await reg.store.put(parseDigest(`sha256:${createHash('sha256').update(data).digest('hex')}`), data);
    expect((await collectGarbage(reg, db)).orphans).toBe(0);
    clock.advance(2 * HOUR);
    expect((await collectGarbage(reg, db)).orphans).toBe(1);
  });
});
