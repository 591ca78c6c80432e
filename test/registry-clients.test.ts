import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { usePlatform } from './harness.ts';
import { ownerToken } from './auth.ts';

// Real clients against the registry listener: podman push/pull of a multi-layer image, skopeo copy
// both ways, list-tags, inspect and delete. They go through the Docker token flow with Basic creds.
const run = promisify(execFile);

async function sh(cmd: string, args: string[]): Promise<string> {
  return (await run(cmd, args, { maxBuffer: 64 << 20 })).stdout;
}

describe('registry with real clients', () => {
  it('podman pushes and pulls a multi-layer image', async () => {
    const p = await usePlatform();
    const host = new URL(p.urls.registry).host;
    const creds = `oauth2accesstoken:${ownerToken(p)}`;
    const ctx = mkdtempSync(join(tmpdir(), 'tarmac-regctx-'));
    const local = `localhost/tarmac-regtest:${randomBytes(4).toString('hex')}`;
    const remote = `${host}/tarmac-project/clients/app:v1`;
    writeFileSync(join(ctx, 'a.txt'), 'layer a\n');
    writeFileSync(join(ctx, 'c.bin'), randomBytes(200_000));
    writeFileSync(
      join(ctx, 'Containerfile'),
      'FROM localhost/bbtest:latest\nCOPY a.txt /a.txt\nRUN echo built > /b.txt\nCOPY c.bin /c.bin\n',
    );
    try {
      await sh('podman', [
        'build',
        '-q',
        '--pull=never',
        '--label',
        'dev.tarmac.test=registry',
        '-t',
        local,
        ctx,
      ]);
      const layers = JSON.parse(
        await sh('podman', ['image', 'inspect', local, '--format', '{{json .RootFS.Layers}}']),
      ) as string[];
      expect(layers.length).toBeGreaterThanOrEqual(4);
      await sh('podman', ['push', '-q', '--tls-verify=false', '--creds', creds, local, remote]);
      await sh('podman', ['rmi', '-f', local]);
      await sh('podman', ['pull', '-q', '--tls-verify=false', '--creds', creds, remote]);
      const pulled = JSON.parse(
        await sh('podman', ['image', 'inspect', remote, '--format', '{{json .RootFS.Layers}}']),
      ) as string[];
      expect(pulled).toEqual(layers);
      const out = await sh('podman', [
        'run',
        '--rm',
        '--label',
        'dev.tarmac.test=registry',
        '--network',
        'none',
        remote,
        'cat',
        '/a.txt',
        '/b.txt',
      ]);
      expect(out).toBe('layer a\nbuilt\n');
    } finally {
      await run('podman', ['rmi', '-f', local, remote]).catch(() => undefined);
      rmSync(ctx, { recursive: true, force: true });
    }
  }, 300_000);

  it('skopeo copies both ways, lists tags, inspects and deletes', async () => {
    const p = await usePlatform();
    const host = new URL(p.urls.registry).host;
    const creds = `x:${ownerToken(p)}`;
    const dir = mkdtempSync(join(tmpdir(), 'tarmac-skopeo-'));
    const src = `docker://${host}/tarmac-project/sk/one:v1`;
    const copy = `docker://${host}/tarmac-project/sk/two:v2`;
    try {
      await sh('skopeo', [
        'copy',
        '-q',
        '--dest-tls-verify=false',
        '--dest-creds',
        creds,
        'containers-storage:localhost/bbtest:latest',
        src,
      ]);
      await sh('skopeo', [
        'copy',
        '-q',
        '--src-tls-verify=false',
        '--src-creds',
        creds,
        src,
        `oci:${dir}/layout:img`,
      ]);
      await sh('skopeo', [
        'copy',
        '-q',
        '--dest-tls-verify=false',
        '--dest-creds',
        creds,
        `oci:${dir}/layout:img`,
        copy,
      ]);
      await sh('skopeo', [
        'copy',
        '-q',
        '--src-tls-verify=false',
        '--src-creds',
        creds,
        copy,
        `dir:${dir}/plain`,
      ]);
      const tags = JSON.parse(
        await sh('skopeo', ['list-tags', '--tls-verify=false', '--creds', creds, copy.replace(/:v2$/, '')]),
      ) as { Tags: string[] };
      expect(tags.Tags).toEqual(['v2']);
      const a = JSON.parse(await sh('skopeo', ['inspect', '--tls-verify=false', '--creds', creds, src])) as {
        Layers: string[];
      };
      const b = JSON.parse(await sh('skopeo', ['inspect', '--tls-verify=false', '--creds', creds, copy])) as {
        Layers: string[];
      };
      expect(b.Layers).toEqual(a.Layers);
      await sh('skopeo', ['delete', '--tls-verify=false', '--creds', creds, copy]);
      const after = JSON.parse(
        await sh('skopeo', ['list-tags', '--tls-verify=false', '--creds', creds, copy.replace(/:v2$/, '')]),
      ) as { Tags: string[] };
      expect(after.Tags).toEqual([]);
      await expect(sh('skopeo', ['inspect', '--tls-verify=false', '--creds', creds, copy])).rejects.toThrow(
        /manifest unknown/i,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
