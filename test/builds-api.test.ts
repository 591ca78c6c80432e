import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packSource, snapshotSource } from '../src/cli/builds/archive.ts';
import type { Build, BuildOperation } from '../src/model/index.ts';
import { usePlatform } from './harness.ts';
import { headersAs, ownerHeaders } from './auth.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tarmac-bapi-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function tgz(files: Record<string, string>): Promise<Uint8Array<ArrayBuffer>> {
  for (const [n, b] of Object.entries(files)) {
    mkdirSync(join(dir, n, '..'), { recursive: true });
    writeFileSync(join(dir, n), b);
  }
  const chunks: Buffer[] = [];
  for await (const c of packSource(snapshotSource(dir)) as AsyncIterable<Buffer>) chunks.push(c);
  const all = Buffer.concat(chunks);
  const out = new Uint8Array(all.length);
  out.set(all);
  return out;
}

describe('Cloud Build v1 REST', () => {
  it('stages a source, creates a build as an Operation, gets, lists and reads its log', async () => {
    const p = await usePlatform();
    const h = ownerHeaders(p);
    const project = p.config.defaultProject;
    const api = p.urls.api;
    const body = await tgz({ Dockerfile: 'FROM localhost/bbtest:latest\n' });
    const name = 'source/1.000000-abc.tgz';
    const up = await fetch(
      `${api}/upload/storage/v1/b/${project}_cloudbuild/o?uploadType=media&name=${encodeURIComponent(name)}`,
      { method: 'POST', headers: { ...h, 'content-type': 'application/gzip' }, body },
    );
    expect(up.status).toBe(200);
    const obj = (await up.json()) as { name: string; generation: string; size: string; bucket: string };
    expect(obj).toMatchObject({ name, bucket: `${project}_cloudbuild`, size: String(body.length) });

    const tag = `gcr.io/${project}/hello`;
    const res = await fetch(`${api}/v1/projects/${project}/locations/us-central1/builds`, {
      method: 'POST',
      headers: h,
      body: JSON.stringify({
        source: { storageSource: { bucket: obj.bucket, object: obj.name, generation: obj.generation } },
        steps: [
          {
            name: 'gcr.io/cloud-builders/docker',
            args: ['build', '--network', 'cloudbuild', '-t', tag, '.'],
          },
        ],
        images: [tag],
        timeout: '120s',
      }),
    });
    expect(res.status).toBe(200);
    const op = (await res.json()) as BuildOperation;
    const b = op.metadata.build;
    expect(op.metadata['@type']).toBe(
      'type.googleapis.com/google.devtools.cloudbuild.v1.BuildOperationMetadata',
    );
    expect(b).toMatchObject({
      name: `projects/${project}/locations/us-central1/builds/${b.id}`,
      projectId: project,
      timeout: '120s',
      images: [tag],
      source: { storageSource: { bucket: obj.bucket, object: name, generation: obj.generation } },
    });

    // Following the log returns once the build has ended, whatever the engine made of it.
    const log = await fetch(
      `${api}/v1/projects/${project}/locations/us-central1/builds/${b.id}/log?follow=true`,
      {
        headers: h,
      },
    );
    const text = await log.text();
    expect(text).toMatch(new RegExp(`^starting build "${b.id}"\n\nFETCHSOURCE\n`));
    const got = (await (
      await fetch(`${api}/v1/projects/${project}/builds/${b.id}`, { headers: h })
    ).json()) as Build;
    expect(['SUCCESS', 'FAILURE', 'INTERNAL_ERROR']).toContain(got.status);
    expect(got.finishTime).toBeDefined();

    const opNow = (await (await fetch(`${api}/v1/${op.name}`, { headers: h })).json()) as BuildOperation;
    expect(opNow.done).toBe(true);

    const list = (await (
      await fetch(
        `${api}/v1/projects/${project}/locations/us-central1/builds?filter=${encodeURIComponent(`id="${b.id}"`)}`,
        {
          headers: h,
        },
      )
    ).json()) as { builds: Build[] };
    expect(list.builds.map((x) => x.id)).toEqual([b.id]);
    const cancel = await fetch(`${api}/v1/projects/${project}/builds/${b.id}:cancel`, {
      method: 'POST',
      headers: h,
      body: '{}',
    });
    expect(((await cancel.json()) as Build).status).toBe(got.status);
  });

  it('refuses oversized uploads, bad steps, strangers and missing builds with google.rpc errors', async () => {
    const p = await usePlatform({ config: { builds: { maxSourceBytes: 2048 } } });
    const h = ownerHeaders(p);
    const project = p.config.defaultProject;
    const api = p.urls.api;
    const upload = (body: BodyInit, headers = h): Promise<Response> =>
      fetch(`${api}/upload/storage/v1/b/${project}_cloudbuild/o?uploadType=media&name=source/x.tgz`, {
        method: 'POST',
        headers,
        body,
        duplex: 'half',
      } as RequestInit);
    const big = await upload(new Uint8Array(4096));
    expect(big.status).toBe(429);
    expect(((await big.json()) as { error: { status: string } }).error.status).toBe('RESOURCE_EXHAUSTED');
    // Chunked (no content-length): cut off while streaming.
    const chunked = await upload(
      Readable.toWeb(Readable.from([Buffer.alloc(1500), Buffer.alloc(1500)])) as ReadableStream,
    );
    expect(chunked.status).toBe(429);

    const stranger = await headersAs(p, 'user:nobody@example.com');
    expect((await upload(new Uint8Array(10), stranger)).status).toBe(403);
    expect((await fetch(`${api}/v1/projects/${project}/builds`, { headers: stranger })).status).toBe(403);
    expect((await fetch(`${api}/v1/projects/${project}/builds`)).status).toBe(401);

    expect((await upload(await tgz({ Dockerfile: 'FROM scratch\n' }))).status).toBe(200);
    const bad = await fetch(`${api}/v1/projects/${project}/builds`, {
      method: 'POST',
      headers: h,
      body: JSON.stringify({
        source: { storageSource: { bucket: `${project}_cloudbuild`, object: 'source/x.tgz' } },
        steps: [{ name: 'gcr.io/cloud-builders/gcloud', args: ['version'] }],
      }),
    });
    expect(bad.status).toBe(400);
    const missing = await fetch(`${api}/v1/projects/${project}/builds/nope`, { headers: h });
    expect(missing.status).toBe(404);
  });
});
