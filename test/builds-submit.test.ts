import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { usePlatform } from './harness.ts';
import { get } from './serving/client.ts';
import { cliEnv, runTarmac } from './cli/run-tarmac.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tarmac-submit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('tarmac builds submit and run deploy --source', () => {
  it('builds the sample, pushes it, deploys it from source and serves it', async () => {
    const p = await usePlatform();
    const env = cliEnv({ TARMAC_HOME: p.config.home });
    const project = p.config.defaultProject;
    cpSync(join(import.meta.dirname, 'fixtures', 'hello-python'), dir, { recursive: true });
    writeFileSync(join(dir, '.gcloudignore'), '.gcloudignore\nsecret.txt\n');
    writeFileSync(join(dir, 'secret.txt'), 'never uploaded');

    const tag = `gcr.io/${project}/hello`;
    const sub = await runTarmac(['builds', 'submit', dir, '--tag', tag], env);
    expect(sub.code, sub.stderr + sub.stdout).toBe(0);
    expect(sub.stderr).toMatch(
      /^Creating temporary archive of 4 file\(s\) totalling [\d.]+ (bytes|KiB) before compression\.\n/,
    );
    expect(sub.stderr).toMatch(
      new RegExp(
        `Uploading tarball of \\[${dir}\\] to \\[gs://${project}_cloudbuild/source/\\d+\\.\\d{6}-[0-9a-f]{32}\\.tgz\\]`,
      ),
    );
    expect(sub.stdout).toContain(' REMOTE BUILD OUTPUT ');
    expect(sub.stdout).toMatch(/\nPUSH\nPushing gcr.io\/.+\/hello\n/);
    expect(sub.stdout).toMatch(/latest: digest: sha256:[0-9a-f]{64}\n/);
    expect(sub.stdout).toMatch(
      /\nDONE\n-{80}\nID +CREATE_TIME +DURATION +SOURCE +IMAGES +STATUS\n\S+ +\S+\+00:00 +\d+S +gs:\/\/\S+ +gcr.io\/\S+\/hello +SUCCESS\n$/,
    );

    const dep = await runTarmac(
      ['run', 'deploy', 'hello', '--source', dir, '--region', 'us-central1', '--allow-unauthenticated'],
      env,
    );
    expect(dep.code, dep.stderr + dep.stdout).toBe(0);
    const out = dep.stdout + dep.stderr;
    expect(out).toContain(`us-central1-docker.pkg.dev/${project}/cloud-run-source-deploy/hello`);
    const url = /Service URL: (\S+)/.exec(out)?.[1];
    expect(url).toBeDefined();
    const res = await get(url!, p.listeners.ingress.port, '/');
    expect(res).toMatchObject({ status: 200 });
    expect(res.body).toMatch(/^Hello World! service=hello revision=hello-/);
  }, 300_000);

  it('exits non-zero naming the build when it fails', async () => {
    const p = await usePlatform();
    const env = cliEnv({ TARMAC_HOME: p.config.home });
    cpSync(join(import.meta.dirname, 'fixtures', 'failing-build'), dir, { recursive: true });
    const sub = await runTarmac(
      ['builds', 'submit', dir, '--tag', `gcr.io/${p.config.defaultProject}/broken`],
      env,
    );
    expect(sub.code).toBe(1);
    expect(sub.stdout).toMatch(/\nERROR\nERROR: build step 0 "gcr.io\/cloud-builders\/docker" failed: /);
    expect(sub.stderr).toMatch(
      /ERROR: \(tarmac\.builds\.submit\) build [0-9a-f-]{36} completed with status "FAILURE"\n$/,
    );
    // `builds log ID` prints the same log afterwards.
    const id = /build ([0-9a-f-]{36}) completed/.exec(sub.stderr)![1]!;
    const log = await runTarmac(['builds', 'log', id], env);
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout).toMatch(/\nERROR\nERROR: build step 0 "gcr.io\/cloud-builders\/docker" failed: /);
    const none = await runTarmac(['builds', 'submit', tmpdir(), '--tag', 'gcr.io/x/y'], env);
    expect(none.stderr).toContain('Dockerfile required when specifying --tag');
  });
});
