import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { usePlatform } from '../harness.ts';
import { apiCall, defaultProject } from '../auth.ts';
import { BUSYBOX_IMAGE } from '../busybox-image.ts';
import { get } from '../serving/client.ts';
import { cliEnv, runTarmac } from './run-tarmac.ts';

const HTTPD = ['--command=sh', '--args=-c,echo "$A$B" > /tmp/index.html && exec httpd -f -p $PORT -h /tmp'];

describe('run deploy flags, as a user passes them', () => {
  it('sets env from a file, removes and clears env, labels, description, suffix, min instances, invoker check, async', async () => {
    const p = await usePlatform();
    const env = cliEnv({ TARMAC_HOME: p.paths.home });
    const { projectId } = defaultProject(p);
    const ingress = p.listeners.ingress.port;
    const path = `/v2/projects/${projectId}/locations/us-central1/services/flags`;
    const dir = mkdtempSync(join(tmpdir(), 'tarmac-flags-'));
    const envFile = join(dir, 'env.yaml');
    writeFileSync(envFile, 'A: "from-file"\nB: "-b"\n');

    const first = await runTarmac(
      [
        'run',
        'deploy',
        'flags',
        '--image',
        BUSYBOX_IMAGE,
        ...HTTPD,
        '--region=us-central1',
        `--env-vars-file=${envFile}`,
        '--labels=team=web,tier=front',
        '--description=serves the flags test',
        '--revision-suffix=v1',
        '--min-instances=1',
        '--max-instances=2',
        '--no-invoker-iam-check',
      ],
      env,
    );
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('revision [flags-v1] has been deployed');
    const url = /Service URL: (\S+)/.exec(first.stderr)![1]!;
    // --no-invoker-iam-check: no token needed although nobody was granted run.invoker.
    expect(await get(url, ingress, '/')).toMatchObject({ status: 200, body: 'from-file-b\n' });
    const svc = (await apiCall(p, 'GET', path)).json;
    expect(svc.labels).toMatchObject({ team: 'web', tier: 'front' });
    expect(svc.description).toBe('serves the flags test');
    expect(svc.invokerIamDisabled).toBe(true);
    expect(svc.template.revision).toBe('flags-v1');
    expect(svc.template.scaling).toMatchObject({ minInstanceCount: 1, maxInstanceCount: 2 });

    const removed = await runTarmac(
      ['run', 'deploy', 'flags', '--image', BUSYBOX_IMAGE, '--region=us-central1', '--remove-env-vars=B'],
      env,
    );
    expect(removed.code, removed.stderr).toBe(0);
    expect(await get(url, ingress, '/')).toMatchObject({ status: 200, body: 'from-file\n' });

    const cleared = await runTarmac(
      [
        'run',
        'deploy',
        'flags',
        '--image',
        BUSYBOX_IMAGE,
        '--region=us-central1',
        '--clear-env-vars',
        '--async',
      ],
      env,
    );
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(cleared.stderr).toContain('Service [flags] is deploying asynchronously.');
    expect(cleared.stderr).not.toContain('Service URL:');
    // --async returned before the revision is ready: the new one (no env) serves once it is.
    let body = '';
    for (let i = 0; i < 120 && body !== '\n'; i++) {
      await new Promise((r) => setTimeout(r, 500));
      body = (await get(url, ingress, '/')).body;
    }
    expect(body).toBe('\n');
    expect((await apiCall(p, 'GET', path)).json.template.containers[0].env ?? []).toEqual([]);

    const bad = await runTarmac(
      ['run', 'deploy', 'flags', '--region=us-central1', '--min-instances=-1'],
      env,
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect((await runTarmac(['run', 'services', 'delete', 'flags', '--quiet'], env)).code).toBe(0);
  }, 300_000);
});
