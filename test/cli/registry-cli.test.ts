import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BUSYBOX_IMAGE } from '../busybox-image.ts';
import { usePlatform } from '../harness.ts';
import { RegClient } from '../registry-client.ts';
import { cliEnv, runTarmac } from './run-tarmac.ts';

const run = promisify(execFile);

describe('tarmac registry and configure-docker commands', () => {
  it('auth configure-docker writes credentials real podman pushes and pulls with', async () => {
    const p = await usePlatform();
    const port = new URL(p.urls.registry).port;
    const home = mkdtempSync(join(tmpdir(), 'tarmac-docker-home-'));
    const env = cliEnv({ TARMAC_HOME: p.paths.home, HOME: home });
    const remote = `localhost:${port}/${p.config.defaultProject}/cfg-docker/app:${randomBytes(3).toString('hex')}`;
    // Podman as the user runs it: no --creds, credentials from ~/.docker/config.json of this HOME.
    const podman = (args: string[]) =>
      run('podman', args, { env: { PATH: process.env.PATH!, HOME: home }, maxBuffer: 16 << 20 });
    try {
      const before = await podman(['push', '-q', '--tls-verify=false', BUSYBOX_IMAGE, remote]).catch(
        (e: Error) => e,
      );
      expect(String(before)).toMatch(/unauthorized|authentication required/i);

      const r = await runTarmac(['auth', 'configure-docker', `localhost:${port},127.0.0.1:${port}`], env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`Adding credentials for: localhost:${port}, 127.0.0.1:${port}`);
      const file = join(home, '.docker', 'config.json');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const auths = (JSON.parse(readFileSync(file, 'utf8')) as { auths: Record<string, { auth: string }> })
        .auths;
      expect(Buffer.from(auths[`localhost:${port}`]!.auth, 'base64').toString()).toMatch(
        /^oauth2accesstoken:./,
      );

      await podman(['push', '-q', '--tls-verify=false', BUSYBOX_IMAGE, remote]);
      const [repo, tag] = remote.slice(remote.indexOf('/') + 1).split(':');
      expect((await RegClient.owner(p).req('HEAD', `/v2/${repo}/manifests/${tag}`)).status).toBe(200);
      await podman(['pull', '-q', '--tls-verify=false', remote]);
    } finally {
      await run('podman', ['rmi', remote]).catch(() => undefined);
      rmSync(home, { recursive: true, force: true });
    }
  }, 180_000);

  it('registry gc removes unreferenced blobs and keeps images', async () => {
    const p = await usePlatform();
    const env = cliEnv({ TARMAC_HOME: p.paths.home });
    const reg = RegClient.owner(p);
    const repo = `${p.config.defaultProject}/gc-cli/app`;
    const image = await reg.pushImage(repo, 'v1');
    const loose = await reg.pushBlob(repo, randomBytes(5000));

    const dry = await runTarmac(['registry', 'gc', '--dry-run', '--grace-seconds=0', '--format=json'], env);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toEqual({ blobs: 1, bytes: 5000, orphans: 0, dryRun: true });
    expect((await reg.req('HEAD', `/v2/${repo}/blobs/${loose}`)).status).toBe(200);

    const gc = await runTarmac(['registry', 'gc', '--grace-seconds=0'], env);
    expect(gc.code, gc.stderr).toBe(0);
    expect(gc.stderr).toContain('Deleted 1 unreferenced blobs');
    expect((await reg.req('HEAD', `/v2/${repo}/blobs/${loose}`)).status).toBe(404);
    expect((await reg.req('GET', `/v2/${repo}/manifests/${image.digest}`)).status).toBe(200);

    const bad = await runTarmac(['registry', 'gc', '--grace-seconds=-1'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--grace-seconds');
  }, 60_000);
});
