import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { usePlatform } from '../harness.ts';
import { cliEnv, runTarmac } from './run-tarmac.ts';

describe('tarmac auth and iam commands', () => {
  it('creates an account and a key file, activates it, and prints tokens', async () => {
    const p = await usePlatform();
    const env = cliEnv({ TARMAC_HOME: p.paths.home });
    const project = p.config.defaultProject;
    const email = `cli-bot@${project}.iam.gserviceaccount.com`;
    expect(
      (await runTarmac(['iam', 'service-accounts', 'create', 'cli-bot', '--display-name=CLI'], env)).code,
    ).toBe(0);
    const list = await runTarmac(['iam', 'service-accounts', 'list', '--format=value(email)'], env);
    expect(list.stdout).toContain(email);
    const keyFile = join(env.TARMAC_CONFIG_DIR!, 'key.json');
    const made = await runTarmac(
      ['iam', 'service-accounts', 'keys', 'create', keyFile, `--iam-account=${email}`],
      env,
    );
    expect(made.code, made.stderr).toBe(0);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(keyFile, 'utf8'))).toMatchObject({
      client_email: email,
      token_uri: `${p.urls.api}/token`,
    });

    const jwks = createRemoteJWKSet(new URL(`${p.urls.api}/oauth2/v3/certs`));
    const aud = 'http://hello-1.us-central1.run.localhost:8080';
    const owner = await runTarmac(['auth', 'print-identity-token', `--audiences=${aud}`], env);
    expect((await jwtVerify(owner.stdout.trim(), jwks, { audience: aud })).payload.email).toBe(
      'owner@tarmac.localhost',
    );

    const act = await runTarmac(['auth', 'activate-service-account', `--key-file=${keyFile}`], env);
    expect(act.stderr).toContain(`Activated service account credentials for: [${email}]`);
    const id = await runTarmac(['auth', 'print-identity-token', `--audiences=${aud}`], env);
    expect((await jwtVerify(id.stdout.trim(), jwks, { audience: aud })).payload.email).toBe(email);
    const at = await runTarmac(['auth', 'print-access-token'], env);
    expect((await p.iam.authenticate(`Bearer ${at.stdout.trim()}`)).email).toBe(email);
    // Acting as the service account now: it holds no role, so listing is refused.
    const denied = await runTarmac(['iam', 'service-accounts', 'list'], env);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('iam.serviceAccounts.list');
  });

  it('adds and removes a project IAM binding (gcloud projects add-/remove-iam-policy-binding)', async () => {
    const p = await usePlatform();
    const env = cliEnv({ TARMAC_HOME: p.paths.home });
    const project = p.config.defaultProject;
    const member = `serviceAccount:viewer@${project}.iam.gserviceaccount.com`;
    const flags = [`--member=${member}`, '--role=roles/run.viewer', '--format=json'];
    const added = await runTarmac(['projects', 'add-iam-policy-binding', project, ...flags], env);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stderr).toContain(`Updated IAM policy for project [${project}].`);
    const bindings = (out: string): { role: string; members: string[] }[] =>
      (JSON.parse(out) as { bindings: { role: string; members: string[] }[] }).bindings;
    expect(bindings(added.stdout)).toContainEqual({ role: 'roles/run.viewer', members: [member] });
    const got = await runTarmac(['projects', 'get-iam-policy', project, '--format=json'], env);
    expect(bindings(got.stdout)).toContainEqual({ role: 'roles/run.viewer', members: [member] });

    const removed = await runTarmac(['projects', 'remove-iam-policy-binding', project, ...flags], env);
    expect(removed.code, removed.stderr).toBe(0);
    expect(bindings(removed.stdout).some((b) => b.role === 'roles/run.viewer')).toBe(false);
    const again = await runTarmac(['projects', 'remove-iam-policy-binding', project, ...flags], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`Policy binding with the specified member [${member}]`);
    const bad = await runTarmac(
      ['projects', 'add-iam-policy-binding', project, '--member=someone', '--role=roles/run.viewer'],
      env,
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--member');
  });
});
