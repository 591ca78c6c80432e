import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliEnv, runTarmac } from './run-tarmac.ts';

describe('tarmac CLI without a server', () => {
  it('keeps properties in named configurations', async () => {
    const env = cliEnv();
    expect((await runTarmac(['config', 'set', 'project', 'my-proj'], env)).stderr).toContain(
      'Updated property [core/project].',
    );
    await runTarmac(['config', 'set', 'run/region', 'europe-west1'], env);
    expect(readFileSync(join(env.TARMAC_CONFIG_DIR!, 'configurations', 'config_default'), 'utf8')).toContain(
      'region = europe-west1',
    );
    const get = await runTarmac(['config', 'get', 'run/region'], env);
    expect(get).toMatchObject({ code: 0, stdout: 'europe-west1\n' });
    await runTarmac(['config', 'configurations', 'create', 'staging'], env);
    const list = await runTarmac(['config', 'configurations', 'list', '--format=value(name,is_active)'], env);
    expect(list.stdout).toBe('default\tFalse\nstaging\tTrue\n');
    expect((await runTarmac(['config', 'get', 'project'], env)).stderr).toContain('(unset)');
    const envOverride = await runTarmac(['config', 'get', 'project', '--configuration=default'], {
      ...env,
      CLOUDSDK_CORE_PROJECT: 'from-env',
    });
    expect(envOverride.stdout).toBe('from-env\n');
    const json = await runTarmac(['config', 'list', '--configuration=default', '--format=json'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({
      core: { project: 'my-proj' },
      run: { region: 'europe-west1' },
    });
    const bad = await runTarmac(['config', 'set', 'core/nope', 'x'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^ERROR: \(tarmac\.config\.set\) Section \[core\] has no property \[nope\]/);
  });

  it('tells usage errors (exit 2) from user errors (exit 1), one line, no stack', async () => {
    const env = cliEnv();
    const unknown = await runTarmac(['run', 'deploy', 'hello', '--image=x', '--bogus'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^ERROR: \(tarmac\.run\.deploy\) unrecognized arguments: --bogus/);
    const missing = await runTarmac(['run', 'services', 'describe'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'SERVICE'");
    const memory = await runTarmac(['run', 'deploy', 'hello', '--image=x', '--memory=lots'], env);
    expect(memory.code).toBe(1);
    expect(memory.stderr).toBe(
      'ERROR: (tarmac.run.deploy) Invalid value for [--memory]: [lots] is not a memory size: use a number with a unit, such as 512Mi or 2Gi.\n',
    );
    const noServer = await runTarmac(['run', 'services', 'list', '--project=p1'], env);
    expect(noServer.code).toBe(1);
    expect(noServer.stderr).toMatch(/No tarmac API endpoint is known.*tarmac serve/);
    expect(noServer.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('has help with examples and shell completion', async () => {
    const env = cliEnv();
    const help = await runTarmac(['run', 'deploy', '--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--no-allow-unauthenticated');
    expect(help.stdout).toContain('EXAMPLES:');
    expect(help.stdout).toContain('--project <PROJECT_ID>');
    const bash = await runTarmac(['completion', 'bash'], env);
    expect(bash.stdout).toContain("['run services']='list describe delete update update-traffic");
    expect(bash.stdout).toContain('complete -o default -F _tarmac_complete tarmac');
    const zsh = await runTarmac(['completion', 'zsh'], env);
    expect(zsh.stdout).toMatch(/^#compdef tarmac/);
  });
});
