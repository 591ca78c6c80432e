import { statSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stopPlatform, tempHome, usePlatform } from './harness.ts';
import { ownerHeaders, ownerToken } from './auth.ts';

describe('identity bootstrap', () => {
  it('creates the default project, owner and compute account, and writes 0600 credentials', async () => {
    const p = await usePlatform();
    const project = p.iam.projects.get(p.config.defaultProject);
    expect(project.projectNumber).toMatch(/^[1-9]\d{11}$/);
    expect(p.iam.projects.get(project.projectNumber).projectId).toBe(project.projectId);
    expect(p.iam.defaultServiceAccount(project.projectId)).toBe(
      `${project.projectNumber}-compute@developer.gserviceaccount.com`,
    );
    const st = statSync(p.paths.credentials);
    expect(st.mode & 0o777).toBe(0o600);
    const creds = JSON.parse(readFileSync(p.paths.credentials, 'utf8')) as Record<string, string>;
    expect(creds).toMatchObject({
      apiEndpoint: p.urls.api,
      project: project.projectId,
      projectNumber: project.projectNumber,
      region: p.config.defaultRegion,
      account: 'owner@tarmac.localhost',
      token: ownerToken(p),
      token_uri: `${p.urls.api}/token`,
    });
    for (const f of [statSync(p.paths.keys), ...[]]) expect(f.mode & 0o777).toBe(0o700);
    const owner = await p.iam.authenticate(`Bearer ${creds.token}`);
    expect(owner).toEqual({
      kind: 'user',
      email: 'owner@tarmac.localhost',
      member: 'user:owner@tarmac.localhost',
    });
    await p.iam.authorize(
      owner,
      'run.services.create',
      `projects/${project.projectNumber}/locations/us-central1`,
    );
    expect(ownerHeaders(p).authorization).toBe(`Bearer ${creds.token}`);
  });

  it('keeps project, owner token and signing keys across a restart', async () => {
    const home = tempHome();
    const first = await usePlatform({ home });
    const number = first.iam.projects.get(first.config.defaultProject).projectNumber;
    const token = ownerToken(first);
    const kids = first.iam.signingKeys.jwks().keys.map((k) => k.kid);
    await stopPlatform(first);
    const second = await usePlatform({ home });
    expect(second.iam.projects.get(second.config.defaultProject).projectNumber).toBe(number);
    expect(ownerToken(second)).toBe(token);
    expect(second.iam.signingKeys.jwks().keys.map((k) => k.kid)).toEqual(kids);
  });
});
