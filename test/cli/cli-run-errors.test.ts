import { describe, expect, it } from 'vitest';
import { usePlatform } from '../harness.ts';
import { cliEnv, runTarmac } from './run-tarmac.ts';
import { roleLessToken } from './identities.ts';

// Runs without a container engine: revisions fail, which is what the failure paths need.
describe('tarmac run: errors against a running tarmac', () => {
  it('reports unknown services, missing images, failed revisions and missing permissions in one line, exit 1', async () => {
    const p = await usePlatform();
    // A fresh install: the CLI finds the endpoint, project, region and token in TARMAC_HOME/credentials.json.
    const env = cliEnv({ TARMAC_HOME: p.paths.home });
    const project = p.config.defaultProject;

    const unknown = await runTarmac(['run', 'services', 'describe', 'nope'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(
      `ERROR: (tarmac.run.services.describe) Cannot find service [nope] in project [${project}] region [us-central1]. List the services with \`tarmac run services list --region=us-central1\`.\n`,
    );

    const noImage = await runTarmac(['run', 'deploy', 'hello'], env);
    expect(noImage.code).toBe(1);
    expect(noImage.stderr).toMatch(/^ERROR: \(tarmac\.run\.deploy\) Missing required argument \[--image\]/);

    const failed = await runTarmac(
      ['run', 'deploy', 'broken', '--image', `gcr.io/${project}/nothing`, '--quiet'],
      env,
    );
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(
      `Deploying container to Cloud Run service [broken] in project [${project}] region [us-central1]`,
    );
    expect(failed.stderr).toContain('Creating Revision...failed');
    expect(failed.stderr).toMatch(
      /ERROR: \(tarmac\.run\.deploy\) Revision 'broken-00001-[a-z0-9]{3}' is not ready and cannot serve traffic\./,
    );
    expect(failed.stderr).not.toMatch(/\n\s+at /);

    const { token } = await roleLessToken(p.paths.home, project, 'no-roles-sa');
    const denied = await runTarmac(['run', 'services', 'list'], { ...env, TARMAC_ACCESS_TOKEN: token });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(
      /^ERROR: \(tarmac\.run\.services\.list\) PERMISSION_DENIED: .*run\.services\.list/,
    );
    expect(denied.stderr.trim().split('\n')).toHaveLength(1);

    const badToken = await runTarmac(['run', 'services', 'list'], { ...env, TARMAC_ACCESS_TOKEN: 'garbage' });
    expect(badToken.code).toBe(1);
    expect(badToken.stderr).toMatch(/^ERROR: \(tarmac\.run\.services\.list\) UNAUTHENTICATED: /);

    const debug = await runTarmac(['run', 'services', 'list', '--verbosity=debug'], {
      ...env,
      TARMAC_ACCESS_TOKEN: 'garbage',
    });
    expect(debug.stderr).toMatch(/\n\s+at /);
  }, 180_000);
});
