import { request } from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import type { Platform } from '../src/platform.ts';
import { defaultProject } from './auth.ts';
import { usePlatform } from './harness.ts';

interface Got {
  status: number;
  body: string;
  flavor: string | undefined;
}

/** GET on the metadata server from a chosen loopback source address, as an instance's traffic arrives. */
function get(
  p: Platform,
  path: string,
  from: string,
  headers: Record<string, string> = { 'metadata-flavor': 'Google' },
): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: p.iam.metadataAddress.port, path, headers, localAddress: from },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            flavor: res.headers['metadata-flavor'] as string | undefined,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const V1 = '/computeMetadata/v1';

describe('metadata server', () => {
  it('answers an instance with its own project, region and service account tokens', async () => {
    const p = await usePlatform();
    const { projectId, projectNumber } = defaultProject(p);
    const project = p.iam.projects.get(projectId);
    const a = p.iam.serviceAccounts.create(project, 'runner-a').email;
    const b = p.iam.serviceAccounts.create(project, 'runner-b').email;
    const base = { project: projectId, projectNumber, region: 'us-central1', revision: 'r-1' };
    p.iam.registerInstance('127.1.0.5', {
      ...base,
      service: 'svc-a',
      instanceId: 'inst-a',
      serviceAccountEmail: a,
    });
    p.iam.registerInstance('127.1.0.6', {
      ...base,
      service: 'svc-b',
      instanceId: 'inst-b',
      serviceAccountEmail: b,
    });

    const pid = await get(p, `${V1}/project/project-id`, '127.1.0.5');
    expect(pid).toEqual({ status: 200, body: projectId, flavor: 'Google' });
    expect((await get(p, `${V1}/project/numeric-project-id`, '127.1.0.5')).body).toBe(projectNumber);
    expect((await get(p, `${V1}/instance/region`, '127.1.0.5')).body).toBe(
      `projects/${projectNumber}/regions/us-central1`,
    );
    expect((await get(p, `${V1}/instance/id`, '127.1.0.5')).body).toBe('inst-a');
    expect((await get(p, `${V1}/instance/service-accounts/default/email`, '127.1.0.5')).body).toBe(a);
    expect((await get(p, `${V1}/instance/service-accounts/default/email`, '127.1.0.6')).body).toBe(b);
    expect((await get(p, `${V1}/instance/service-accounts/default/aliases`, '127.1.0.5')).body).toBe(
      'default\n',
    );
    const rec = JSON.parse(
      (await get(p, `${V1}/instance/service-accounts/?recursive=true`, '127.1.0.5')).body,
    ) as Record<string, { email: string }>;
    expect(Object.keys(rec).sort()).toEqual([a, 'default'].sort());
    expect(rec.default!.email).toBe(a);
    const proj = JSON.parse((await get(p, `${V1}/project/?recursive=true`, '127.1.0.5')).body) as Record<
      string,
      unknown
    >;
    expect(proj).toEqual({ projectId, numericProjectId: Number(projectNumber) });

    const tok = JSON.parse(
      (await get(p, `${V1}/instance/service-accounts/default/token`, '127.1.0.5')).body,
    ) as {
      access_token: string;
      expires_in: number;
      token_type: string;
    };
    expect(tok.token_type).toBe('Bearer');
    expect(tok.expires_in).toBeGreaterThan(3000);
    expect((await p.iam.authenticate(`Bearer ${tok.access_token}`)).email).toBe(a);

    const aud = 'http://svc-b-1.us-central1.run.localhost:8080';
    const id = await get(
      p,
      `${V1}/instance/service-accounts/default/identity?audience=${encodeURIComponent(aud)}&format=full`,
      '127.1.0.5',
    );
    const { payload } = await jwtVerify(
      id.body,
      createRemoteJWKSet(new URL(`${p.urls.api}/oauth2/v3/certs`)),
      {
        issuer: p.urls.api,
        audience: aud,
      },
    );
    expect(payload).toMatchObject({ email: a, email_verified: true });
    const bare = await get(p, `${V1}/instance/service-accounts/default/identity?audience=x`, '127.1.0.6');
    expect(JSON.parse(Buffer.from(bare.body.split('.')[1]!, 'base64url').toString()).email).toBeUndefined();
    expect((await get(p, `${V1}/instance/service-accounts/default/identity`, '127.1.0.5')).status).toBe(400);
  });

  it('never hands out another identity: flavor header, unknown sources, other emails, forwarding', async () => {
    const p = await usePlatform();
    const { projectId, projectNumber } = defaultProject(p);
    const project = p.iam.projects.get(projectId);
    const a = p.iam.serviceAccounts.create(project, 'runner-a').email;
    const b = p.iam.serviceAccounts.create(project, 'runner-b').email;
    p.iam.registerInstance('127.1.0.7', {
      project: projectId,
      projectNumber,
      region: 'us-central1',
      service: 's',
      revision: 'r',
      instanceId: 'i',
      serviceAccountEmail: a,
    });
    const path = `${V1}/instance/service-accounts/default/token`;
    const noFlavor = await get(p, path, '127.1.0.7', {});
    expect([noFlavor.status, noFlavor.flavor]).toEqual([403, 'Google']);
    expect((await get(p, path, '127.1.0.7', { 'metadata-flavor': 'google-ish' })).status).toBe(403);
    expect((await get(p, path, '127.0.0.1')).status).toBe(403);
    expect((await get(p, path, '127.1.0.8')).status).toBe(403);
    expect((await get(p, `${V1}/instance/service-accounts/${b}/token`, '127.1.0.7')).status).toBe(404);
    expect((await get(p, `${V1}/instance/service-accounts/${a}/email`, '127.1.0.7')).body).toBe(a);
    expect(
      (await get(p, path, '127.1.0.7', { 'metadata-flavor': 'Google', 'x-forwarded-for': '127.1.0.9' }))
        .status,
    ).toBe(403);
    expect(
      (await get(p, `${V1}/instance/service-accounts/default/../../../project/project-id`, '127.1.0.7'))
        .status,
    ).toBeLessThan(500);
    p.iam.unregisterInstance('127.1.0.7');
    expect((await get(p, path, '127.1.0.7')).status).toBe(403);
  });
});
