import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packSource, snapshotSource } from '../src/cli/builds/archive.ts';
import type { Build, BuildOperation } from '../src/model/index.ts';
import type { Platform } from '../src/platform.ts';
import { DEBIAN_IMAGE, PYTHON_IMAGE } from './engine.ts';
import { usePlatform } from './harness.ts';
import { ownerHeaders } from './auth.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tarmac-bengine-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(files: Record<string, string>): void {
  for (const [n, b] of Object.entries(files)) {
    mkdirSync(join(dir, n, '..'), { recursive: true });
    writeFileSync(join(dir, n), b);
  }
}

/** Uploads `dir` as builds submit packs it and starts a build of it (no push unless `images`). */
async function start(
  p: Platform,
  opts: { timeout?: string; images?: boolean; noCache?: boolean } = {},
): Promise<string> {
  const h = ownerHeaders(p);
  const project = p.config.defaultProject;
  const chunks: Buffer[] = [];
  for await (const c of packSource(snapshotSource(dir)) as AsyncIterable<Buffer>) chunks.push(c);
  const body = new Uint8Array(Buffer.concat(chunks));
  const bucket = `${project}_cloudbuild`;
  const up = await fetch(
    `${p.urls.api}/upload/storage/v1/b/${bucket}/o?uploadType=media&name=source/e2e.tgz`,
    {
      method: 'POST',
      headers: h,
      body,
    },
  );
  expect(up.status).toBe(200);
  const tag = `gcr.io/${project}/e2e`;
  const res = await fetch(`${p.urls.api}/v1/projects/${project}/builds`, {
    method: 'POST',
    headers: h,
    body: JSON.stringify({
      source: { storageSource: { bucket, object: 'source/e2e.tgz' } },
      steps: [
        {
          name: 'gcr.io/cloud-builders/docker',
          args: ['build', ...(opts.noCache ? ['--no-cache'] : []), '-t', tag, '.'],
        },
      ],
      images: opts.images ? [tag] : [],
      ...(opts.timeout ? { timeout: opts.timeout } : {}),
    }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as BuildOperation).metadata.build.id;
}

async function get(p: Platform, id: string): Promise<Build> {
  const r = await fetch(`${p.urls.api}/v1/projects/${p.config.defaultProject}/builds/${id}`, {
    headers: ownerHeaders(p),
  });
  return (await r.json()) as Build;
}

/** Follows the log to its end (the build's end) and returns it with the final build. */
async function finish(p: Platform, id: string): Promise<{ log: string; build: Build }> {
  const r = await fetch(`${p.urls.api}/v1/projects/${p.config.defaultProject}/builds/${id}/log?follow=true`, {
    headers: ownerHeaders(p),
  });
  const log = await r.text();
  return { log, build: await get(p, id) };
}

async function logUntil(p: Platform, id: string, text: string): Promise<void> {
  const r = await fetch(`${p.urls.api}/v1/projects/${p.config.defaultProject}/builds/${id}/log?follow=true`, {
    headers: ownerHeaders(p),
  });
  const dec = new TextDecoder();
  let seen = '';
  for await (const c of r.body as unknown as AsyncIterable<Uint8Array>) {
    seen += dec.decode(c, { stream: true });
    if (seen.includes(text)) break;
  }
  expect(seen).toContain(text);
}

describe('builds on the real engine', () => {
  it('builds the context without .gcloudignore matches, and the engine applies .dockerignore', async () => {
    const p = await usePlatform();
    write({
      Dockerfile: `FROM ${DEBIAN_IMAGE}\nCOPY . /x/\nRUN find /x -type f | sort\n`,
      '.gcloudignore': '.gcloudignore\nsecret.txt\nprivate/\n',
      '.dockerignore': 'notes.md\n',
      'secret.txt': 'do not upload',
      'private/key.pem': 'nope',
      'notes.md': 'only in the upload',
      'keep.txt': 'kept',
      'app/main.py': 'print(1)\n',
    });
    const { log, build } = await finish(p, await start(p, { noCache: true }));
    expect(build.status, log).toBe('SUCCESS');
    expect(log).toContain('/x/keep.txt');
    expect(log).toContain('/x/app/main.py');
    expect(log).not.toContain('secret.txt');
    expect(log).not.toContain('key.pem');
    expect(log).not.toContain('/x/notes.md');
    // --no-cache: one commit at the end (layers=false), not one per instruction (COPY and RUN here).
    expect(log.match(/^--> /gm), log).toHaveLength(1);
    expect(log).toMatch(/FETCHSOURCE\nFetching storage object: gs:\/\/.*\nFetched 5 file\(s\)/);
    expect(log).toMatch(/\nBUILD\nAlready have image \(with digest\): gcr.io\/cloud-builders\/docker\n/);
    expect(log.endsWith('DONE\n')).toBe(true);
    expect(Object.keys(build.timing ?? {})).toEqual(['FETCHSOURCE', 'BUILD']);
  });

  it('ends FAILURE with the engine error in the log', async () => {
    const p = await usePlatform();
    cpSync(join(import.meta.dirname, 'fixtures', 'failing-build'), dir, { recursive: true });
    const { log, build } = await finish(p, await start(p));
    expect(build.status).toBe('FAILURE');
    expect(build.statusDetail).toMatch(
      /^Build step failure: build step 0 "gcr.io\/cloud-builders\/docker" failed/,
    );
    expect(log).toMatch(
      /\nERROR\nERROR: build step 0 "gcr.io\/cloud-builders\/docker" failed: building at STEP "RUN false".*\n$/,
    );
    expect(log).toContain('RUN false');
  });

  it('cancels a build mid-step', async () => {
    const p = await usePlatform();
    write({ Dockerfile: `FROM ${DEBIAN_IMAGE}\nRUN echo started && sleep 6\n` });
    const id = await start(p);
    await logUntil(p, id, 'started');
    const t0 = Date.now();
    const r = await fetch(`${p.urls.api}/v1/projects/${p.config.defaultProject}/builds/${id}:cancel`, {
      method: 'POST',
      headers: ownerHeaders(p),
      body: '{}',
    });
    const b = (await r.json()) as Build;
    expect(b.status).toBe('CANCELLED');
    expect(Date.now() - t0).toBeLessThan(3000);
    expect((await finish(p, id)).log).toMatch(/CANCELLED\nERROR: Build was cancelled\n$/);
  });

  it('ends TIMEOUT when the build outlives its timeout', async () => {
    const p = await usePlatform();
    write({ Dockerfile: `FROM ${DEBIAN_IMAGE}\nRUN echo started && sleep 6\n` });
    const { log, build } = await finish(p, await start(p, { timeout: '2s' }));
    expect(build.status).toBe('TIMEOUT');
    expect(build.timeout).toBe('2s');
    expect(log).toMatch(/TIMEOUT\nERROR: Build timeout after 2s\n$/);
  });

  it('fails a step that needs the internet with the engine error in the log, not a hang', async () => {
    const p = await usePlatform();
    // PyPI is not reachable from here (only Debian's apt is): pip gives up and the step fails.
    write({
      Dockerfile: `FROM ${PYTHON_IMAGE}\nRUN pip install --retries 0 --timeout 5 tarmac-not-on-this-machine\n`,
    });
    const t0 = Date.now();
    const { log, build } = await finish(p, await start(p, { timeout: '120s' }));
    expect(build.status, log).toBe('FAILURE');
    expect(Date.now() - t0).toBeLessThan(90_000);
    expect(log).toContain('No matching distribution found for tarmac-not-on-this-machine');
    expect(log).toMatch(/ERROR: build step 0 "gcr.io\/cloud-builders\/docker" failed: .*pip install/);
  });
});
