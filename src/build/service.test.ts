import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { create as tarCreate } from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ContainerEngine, BuildOptions } from '../runtime/index.ts';
import { openDatabase, type Db } from '../store/index.ts';
import { FakeClock, TarmacError, silentLogger } from '../shared/index.ts';
import { tagBuildStep } from './plan.ts';
import { BuildService } from './service.ts';

/** Just enough engine for the queue and runner logic: builds wait until released or aborted. */
class ScriptedEngine {
  builds: BuildOptions[] = [];
  pushes: string[] = [];
  tags: [string, string][] = [];
  private gates: { release: (err?: Error) => void }[] = [];
  failWith: string | undefined;

  async build(opts: BuildOptions): Promise<{ imageId: string }> {
    this.builds.push(opts);
    if (opts.signal?.aborted) throw new Error('build aborted');
    for await (const _ of opts.context) void _;
    opts.onLog?.('STEP 1/1: FROM scratch');
    await new Promise<void>((resolve, reject) => {
      const gate = { release: (err?: Error) => (err ? reject(err) : resolve()) };
      this.gates.push(gate);
      opts.signal?.addEventListener('abort', () => {
        this.gates = this.gates.filter((g) => g !== gate);
        reject(new Error('build aborted'));
      });
    });
    if (this.failWith) throw new Error(this.failWith);
    return { imageId: 'sha256:abc' };
  }
  async tag(source: string, target: string): Promise<void> {
    this.tags.push([source, target]);
  }
  async push(ref: string): Promise<{ digest: string }> {
    this.pushes.push(ref);
    return { digest: `sha256:${'d'.repeat(64)}` };
  }
  async removeImage(): Promise<void> {}
  release(): void {
    this.gates.shift()?.release();
  }
  get waiting(): number {
    return this.gates.length;
  }
}

const TAG = 'gcr.io/proj-one/hello';
let dir: string;
let db: Db;
let clock: FakeClock;
let engine: ScriptedEngine;

const services: BuildService[] = [];

function service(parallelism = 1): BuildService {
  const svc = new BuildService({
    db,
    clock,
    logger: silentLogger(),
    dir: join(dir, 'builds'),
    parallelism,
    maxSourceBytes: 1 << 20,
    engine: async () => engine as unknown as ContainerEngine,
    targets: {
      resolve: (img) => ({
        project: img.split('/')[1]!,
        ref: `localhost:8091/${img.split('/').slice(1).join('/')}:latest`,
      }),
      credentials: async () => ({ username: 'u', password: 'p' }),
    },
    installationId: 'test',
    apiUrl: () => 'http://127.0.0.1:8090',
    detachedGraceMs: 0,
  });
  services.push(svc);
  return svc;
}

async function upload(svc: BuildService, files: Record<string, string>): Promise<string> {
  const src = mkdtempSync(join(dir, 'src-'));
  for (const [name, body] of Object.entries(files)) writeFileSync(join(src, name), body);
  const tgz = tarCreate({ gzip: true, cwd: src }, Object.keys(files)) as unknown as Readable;
  const obj = await svc.sources.put(
    'proj-one_cloudbuild',
    `source/${Math.random()}.tgz`,
    Readable.from(tgz),
    'application/gzip',
  );
  return obj.name;
}

async function submit(svc: BuildService, timeout?: string): Promise<string> {
  const object = await upload(svc, { Dockerfile: 'FROM scratch\n', 'main.py': 'print(1)\n' });
  const b = svc.create('proj-one', 'global', {
    source: { storageSource: { bucket: 'proj-one_cloudbuild', object } },
    steps: [tagBuildStep(TAG, false)],
    images: [TAG],
    ...(timeout ? { timeout } : {}),
  });
  return b.id;
}

const until = async (cond: () => boolean): Promise<void> => {
  // Waits on file I/O (the tarball is really read), so it polls in real time, bounded.
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tarmac-build-'));
  mkdirSync(dir, { recursive: true });
  db = openDatabase(join(dir, 'db.sqlite'));
  clock = new FakeClock();
  engine = new ScriptedEngine();
});
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.dispose()));
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('BuildService', () => {
  it('runs a build through FETCHSOURCE, BUILD, PUSH to SUCCESS with digests and timing', async () => {
    const svc = service();
    const id = await submit(svc);
    await until(() => engine.waiting === 1);
    expect(svc.get('proj-one', id).status).toBe('WORKING');
    engine.release();
    await until(() => svc.get('proj-one', id).status === 'SUCCESS');
    const b = svc.get('proj-one', id);
    expect(b.results?.images).toEqual([
      expect.objectContaining({ name: TAG, digest: `sha256:${'d'.repeat(64)}` }),
    ]);
    expect(Object.keys(b.timing ?? {})).toEqual(['FETCHSOURCE', 'BUILD', 'PUSH']);
    expect(b.steps[0]!.status).toBe('SUCCESS');
    expect(engine.pushes).toEqual(['localhost:8091/proj-one/hello:latest']);
    const log = svc.logs.read(id).toString();
    expect(log).toMatch(
      /^starting build "[0-9a-f-]+"\n\nFETCHSOURCE\nFetching storage object: gs:\/\/proj-one_cloudbuild\//,
    );
    expect(log).toContain('\nBUILD\n');
    expect(log).toContain('STEP 1/1: FROM scratch\n');
    expect(log).toContain(`\nPUSH\nPushing ${TAG}\n`);
    expect(log.endsWith('DONE\n')).toBe(true);
  });

  it('ends FAILURE with the engine error in the log', async () => {
    const svc = service();
    engine.failWith = 'error building at STEP "RUN false": exit status 1';
    const id = await submit(svc);
    await until(() => engine.waiting === 1);
    engine.release();
    await until(() => svc.get('proj-one', id).status === 'FAILURE');
    expect(svc.get('proj-one', id).statusDetail).toContain('exit status 1');
    expect(svc.logs.read(id).toString()).toMatch(
      /ERROR\nERROR: build step 0 "gcr.io\/cloud-builders\/docker" failed: .*exit status 1\n$/,
    );
    expect(engine.pushes).toEqual([]);
  });

  it('fails without a Dockerfile in the source', async () => {
    const svc = service();
    const object = await upload(svc, { 'main.py': 'x' });
    const b = svc.create('proj-one', 'global', {
      source: { storageSource: { bucket: 'proj-one_cloudbuild', object } },
      steps: [tagBuildStep(TAG, false)],
      images: [TAG],
    });
    await until(() => svc.get('proj-one', b.id).status === 'FAILURE');
    expect(svc.logs.read(b.id).toString()).toContain('Dockerfile required');
    expect(engine.builds).toHaveLength(0);
  });

  it('queues beyond parallelism, times out on the clock and cancels queued and running builds', async () => {
    const svc = service(1);
    const a = await submit(svc, '30s');
    const b = await submit(svc);
    const c = await submit(svc);
    await until(() => engine.waiting === 1);
    expect(svc.get('proj-one', b).status).toBe('QUEUED');
    clock.advance(30_000);
    await until(() => svc.get('proj-one', a).status === 'TIMEOUT');
    expect(svc.logs.read(a).toString()).toMatch(/TIMEOUT\nERROR: Build timeout after 30s\n$/);
    // The timed-out build is left to finish in the engine, detached; b starts meanwhile.
    await until(() => engine.builds.length === 2);
    expect(svc.get('proj-one', b).status).toBe('WORKING');
    expect((await svc.cancel('proj-one', c)).status).toBe('CANCELLED');
    expect((await svc.cancel('proj-one', b)).status).toBe('CANCELLED');
    expect(engine.builds).toHaveLength(2);
    expect((await svc.cancel('proj-one', b)).status).toBe('CANCELLED');
    engine.release();
    engine.release();
  });

  it('after a restart ends WORKING builds INTERNAL_ERROR and runs queued ones', async () => {
    const first = service(1);
    const a = await submit(first);
    const b = await submit(first);
    await until(() => engine.waiting === 1);
    // A crash: the process is gone without dispose; a new service opens the same database.
    engine = new ScriptedEngine();
    const second = service(1);
    second.start();
    const rec = second.get('proj-one', a);
    expect(rec.status).toBe('INTERNAL_ERROR');
    expect(rec.statusDetail).toMatch(/interrupted/);
    await until(() => engine.waiting === 1);
    expect(second.get('proj-one', b).status).toBe('WORKING');
    await second.dispose();
    expect(second.get('proj-one', b).status).toBe('INTERNAL_ERROR');
  });

  it('lists newest first with filter and page tokens', async () => {
    const svc = service(1);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(await submit(svc));
      clock.advance(1000);
    }
    await svc.cancel('proj-one', ids[2]!);
    const p1 = svc.list('proj-one', { pageSize: 2 });
    expect(p1.builds.map((b) => b.id)).toEqual([ids[2], ids[1]]);
    const p2 = svc.list('proj-one', { pageSize: 2, pageToken: p1.nextPageToken });
    expect(p2.builds.map((b) => b.id)).toEqual([ids[0]]);
    expect(p2.nextPageToken).toBeUndefined();
    expect(svc.list('proj-one', { filter: 'status="CANCELLED"' }).builds.map((b) => b.id)).toEqual([ids[2]]);
    expect(() => svc.list('proj-one', { filter: 'nonsense' })).toThrow(TarmacError);
    expect(svc.list('other-project').builds).toEqual([]);
    await svc.dispose();
  });

  it('rejects sources past the size limit and foreign buckets', async () => {
    const svc = service();
    const big = Readable.from([Buffer.alloc((1 << 20) + 1)]);
    await expect(svc.sources.put('proj-one_cloudbuild', 'source/big.tgz', big, 'x')).rejects.toMatchObject({
      reason: 'SOURCE_TOO_LARGE',
    });
    expect(svc.sources.stat('proj-one_cloudbuild', 'source/big.tgz')).toBeUndefined();
    expect(() =>
      svc.create('proj-one', 'global', {
        source: { storageSource: { bucket: 'other_cloudbuild', object: 'x' } },
        steps: [tagBuildStep(TAG, false)],
      }),
    ).toThrow(expect.objectContaining({ reason: 'FOREIGN_BUCKET' }));
  });
});
