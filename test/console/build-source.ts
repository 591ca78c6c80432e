import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packSource, snapshotSource } from '../../src/cli/builds/archive.ts';
import type { Platform } from '../../src/platform.ts';
import { ownerHeaders } from '../auth.ts';
import { BUSYBOX_IMAGE } from '../busybox-image.ts';

/**
 * Uploads a one-line Dockerfile on the busybox test image and starts a build of it, as `builds
 * submit` does (nothing pushed; the builder removes its local image). Resolves with the build id.
 */
export async function startBuild(p: Platform, marker: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tarmac-console-build-'));
  try {
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${BUSYBOX_IMAGE}\nRUN echo ${marker}\n`);
    const chunks: Buffer[] = [];
    for await (const c of packSource(snapshotSource(dir)) as AsyncIterable<Buffer>) chunks.push(c);
    const project = p.config.defaultProject;
    const bucket = `${project}_cloudbuild`;
    const object = 'source/console.tgz';
    const up = await fetch(`${p.urls.api}/upload/storage/v1/b/${bucket}/o?uploadType=media&name=${object}`, {
      method: 'POST',
      headers: ownerHeaders(p),
      body: new Uint8Array(Buffer.concat(chunks)),
    });
    if (up.status !== 200) throw new Error(`upload answered ${up.status}`);
    const res = await fetch(`${p.urls.api}/v1/projects/${project}/builds`, {
      method: 'POST',
      headers: ownerHeaders(p),
      body: JSON.stringify({
        source: { storageSource: { bucket, object } },
        steps: [
          { name: 'gcr.io/cloud-builders/docker', args: ['build', '-t', `gcr.io/${project}/console`, '.'] },
        ],
        images: [],
      }),
    });
    const op = (await res.json()) as { metadata?: { build?: { id?: string } } };
    const id = op.metadata?.build?.id;
    if (!id) throw new Error(`no build id in ${JSON.stringify(op)}`);
    return id;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
