import { describe, expect, it } from 'vitest';
import { usePlatform } from './harness.ts';
import { accessTokenAs } from './auth.ts';
import { RegClient, basic, errorCode } from './registry-client.ts';

// Registry auth: the Docker token flow and Basic access tokens, decided by IAM on projects/PROJECT.
const R = 'tarmac-project/secure';
const DEV = 'user:dev@example.com';

describe('registry auth', () => {
  it('challenges anonymous callers and answers /v2/ to authenticated ones', async () => {
    const p = await usePlatform();
    const anon = new RegClient(p.urls.registry, undefined);
    const res = await anon.req('GET', '/v2/');
    expect(res.status).toBe(401);
    expect(errorCode(res)).toBe('UNAUTHORIZED');
    const host = new URL(p.urls.registry).host;
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer realm="http://${host}/v2/token",service="tarmac-registry"`,
    );
    const pull = await anon.req('GET', `/v2/${R}/tags/list`);
    expect(pull.headers.get('www-authenticate')).toBe(
      `Bearer realm="http://${host}/v2/token",service="tarmac-registry",scope="repository:${R}:pull"`,
    );
    const owner = await RegClient.owner(p).req('GET', '/v2/');
    expect(owner.status).toBe(200);
    expect(owner.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    const bad = await anon.req('GET', '/v2/', undefined, { authorization: basic('not-a-token') });
    expect([bad.status, errorCode(bad)]).toEqual([401, 'UNAUTHORIZED']);
  });

  it('issues bearer tokens scoped to the actions IAM allows', async () => {
    const p = await usePlatform();
    const owner = RegClient.owner(p);
    const tok = await owner.req('GET', `/v2/token?service=tarmac-registry&scope=repository:${R}:pull`);
    expect(tok.status).toBe(200);
    const body = tok.json as { token: string; access_token: string; expires_in: number };
    expect(body.access_token).toBe(body.token);
    expect(body.expires_in).toBe(900);
    const pullOnly = owner.as(`Bearer ${body.token}`);
    expect((await pullOnly.req('GET', `/v2/${R}/tags/list`)).status).toBe(404);
    const push = await pullOnly.req('POST', `/v2/${R}/blobs/uploads/`);
    expect(push.status).toBe(401);
    expect(push.headers.get('www-authenticate')).toContain(`scope="repository:${R}:pull,push"`);
    const both = (await owner.req('GET', `/v2/token?scope=repository:${R}:pull,push`)).json as {
      token: string;
    };
    expect((await owner.as(`Bearer ${both.token}`).req('POST', `/v2/${R}/blobs/uploads/`)).status).toBe(202);
    const anonTok = (await owner.as(undefined).req('GET', `/v2/token?scope=repository:${R}:pull`)).json as {
      token: string;
    };
    expect((await owner.as(`Bearer ${anonTok.token}`).req('GET', `/v2/${R}/tags/list`)).status).toBe(401);
  });

  it('checks artifactregistry reader and writer roles for Basic access tokens', async () => {
    const p = await usePlatform();
    const dev = new RegClient(p.urls.registry, basic(await accessTokenAs(p, DEV)));
    await RegClient.owner(p).pushImage(R, 'v1');
    const denied = await dev.req('GET', `/v2/${R}/manifests/v1`);
    expect([denied.status, errorCode(denied)]).toEqual([403, 'DENIED']);
    p.iam.addBinding('projects/tarmac-project', 'roles/artifactregistry.reader', DEV);
    expect((await dev.req('GET', `/v2/${R}/manifests/v1`)).status).toBe(200);
    expect((await dev.req('POST', `/v2/${R}/blobs/uploads/`)).status).toBe(403);
    p.iam.addBinding('projects/tarmac-project', 'roles/artifactregistry.writer', DEV);
    expect((await dev.req('POST', `/v2/${R}/blobs/uploads/`)).status).toBe(202);
    expect((await dev.req('DELETE', `/v2/${R}/manifests/v1`)).status).toBe(403);
    const other = await dev.req('GET', `/v2/other-project/x/tags/list`);
    expect(other.status).toBe(403);
    expect((await dev.req('GET', '/v2/_catalog')).json).toEqual({ repositories: [R] });
  });

  it('lets tarmac push base images under library/ with an internal credential; anyone may pull them', async () => {
    const p = await usePlatform();
    const { username, password } = await p.registryAuth.internalCredentials(['library/'], ['pull', 'push']);
    const internal = new RegClient(p.urls.registry, basic(password, username));
    const digest = await internal.pushBlob('library/python', Buffer.from('base layer'));
    expect((await internal.req('POST', `/v2/${R}/blobs/uploads/`)).status).toBe(401);
    const anon = internal.as(undefined);
    expect((await anon.req('HEAD', `/v2/library/python/blobs/${digest}`)).status).toBe(200);
    expect((await anon.req('POST', '/v2/library/python/blobs/uploads/')).status).toBe(401);
  });
});
