import { Gaxios } from 'gaxios';
import { GoogleAuth, type IdTokenClient } from 'google-auth-library';
import { SignJWT, createRemoteJWKSet, importPKCS8, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import type { KeyFile } from '../src/iam/index.ts';
import type { Platform } from '../src/platform.ts';
import { FakeClock } from '../src/shared/index.ts';
import { defaultProject, headersAs, ownerHeaders } from './auth.ts';
import { usePlatform } from './harness.ts';

const AUD = 'http://hello-123456789012.us-central1.run.localhost:8080';

async function newAccount(p: Platform, id: string): Promise<string> {
  const { projectId } = defaultProject(p);
  const res = await fetch(`${p.urls.api}/v1/projects/${projectId}/serviceAccounts`, {
    method: 'POST',
    headers: { ...ownerHeaders(p), 'content-type': 'application/json' },
    body: JSON.stringify({ accountId: id }),
  });
  return ((await res.json()) as { email: string }).email;
}

async function newKeyFile(p: Platform, email: string): Promise<KeyFile> {
  const res = await fetch(`${p.urls.api}/v1/projects/-/serviceAccounts/${email}/keys`, {
    method: 'POST',
    headers: { ...ownerHeaders(p), 'content-type': 'application/json' },
    body: '{}',
  });
  expect(res.status).toBe(200);
  const key = (await res.json()) as { privateKeyData: string; name: string; keyType: string };
  expect(key.keyType).toBe('USER_MANAGED');
  return JSON.parse(Buffer.from(key.privateKeyData, 'base64').toString('utf8')) as KeyFile;
}

async function assertion(
  k: KeyFile,
  claims: Record<string, unknown>,
  kid = k.private_key_id,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: k.client_email, aud: k.token_uri, iat: now, exp: now + 3600, ...claims })
    .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
    .sign(await importPKCS8(k.private_key, 'RS256'));
}

async function token(
  p: Platform,
  form: Record<string, string>,
  url = `${p.urls.api}/token`,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', body: new URLSearchParams(form) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

// gaxios ships ESM and CJS builds whose class types differ only by module format.
type GoogleAuthTransporter = NonNullable<
  NonNullable<ConstructorParameters<typeof GoogleAuth>[0]>['clientOptions']
>['transporter'];

const GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

describe('OAuth2 token endpoint and OIDC', () => {
  it('exchanges a key file assertion for access and ID tokens that verify against the JWKS', async () => {
    const p = await usePlatform();
    const email = await newAccount(p, 'key-user');
    const k = await newKeyFile(p, email);
    expect(k).toMatchObject({
      type: 'service_account',
      client_email: email,
      token_uri: `${p.urls.api}/token`,
    });
    const id = await token(p, { grant_type: GRANT, assertion: await assertion(k, { target_audience: AUD }) });
    expect(id.status).toBe(200);
    const disco = (await (await fetch(`${p.urls.api}/.well-known/openid-configuration`)).json()) as Record<
      string,
      string
    >;
    expect(disco.issuer).toBe(p.urls.api);
    const jwks = createRemoteJWKSet(new URL(disco.jwks_uri!));
    const { payload, protectedHeader } = await jwtVerify(id.body.id_token as string, jwks, {
      issuer: p.urls.api,
      audience: AUD,
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({ email, email_verified: true, sub: k.client_id, azp: k.client_id });
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(3600);

    const at = await token(p, {
      grant_type: GRANT,
      assertion: await assertion(k, { scope: 'https://www.googleapis.com/auth/cloud-platform' }),
    });
    expect(at.body).toMatchObject({ token_type: 'Bearer' });
    const who = await p.iam.authenticate(`Bearer ${String(at.body.access_token)}`);
    expect(who.member).toBe(`serviceAccount:${email}`);
  });

  it('gives OAuth2-shaped errors for bad assertions and grants', async () => {
    const p = await usePlatform();
    const email = await newAccount(p, 'key-bad');
    const k = await newKeyFile(p, email);
    const other = await newKeyFile(p, await newAccount(p, 'key-other'));
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, Record<string, string>, string][] = [
      ['no grant', {}, 'invalid_request'],
      ['unknown grant', { grant_type: 'password' }, 'unsupported_grant_type'],
      ['no assertion', { grant_type: GRANT }, 'invalid_request'],
      ['garbage', { grant_type: GRANT, assertion: 'x.y.z' }, 'invalid_grant'],
      [
        'expired',
        {
          grant_type: GRANT,
          assertion: await assertion(k, { scope: 's', iat: now - 7200, exp: now - 3601 }),
        },
        'invalid_grant',
      ],
      [
        'too long',
        { grant_type: GRANT, assertion: await assertion(k, { scope: 's', exp: now + 7200 }) },
        'invalid_grant',
      ],
      [
        'wrong aud',
        { grant_type: GRANT, assertion: await assertion(k, { scope: 's', aud: 'http://elsewhere/token' }) },
        'invalid_grant',
      ],
      [
        'other key',
        {
          grant_type: GRANT,
          assertion: await assertion({ ...other, client_email: email }, { scope: 's' }, k.private_key_id),
        },
        'invalid_grant',
      ],
      [
        'unknown kid',
        { grant_type: GRANT, assertion: await assertion(k, { scope: 's' }, 'feedface') },
        'invalid_grant',
      ],
      ['no scope', { grant_type: GRANT, assertion: await assertion(k, {}) }, 'invalid_scope'],
    ];
    for (const [name, form, error] of cases) {
      const r = await token(p, form);
      expect([r.status, r.body.error], name).toEqual([400, error]);
      expect(typeof r.body.error_description, name).toBe('string');
    }
    await fetch(`${p.urls.api}/v1/projects/-/serviceAccounts/${email}:disable`, {
      method: 'POST',
      headers: ownerHeaders(p),
    });
    const disabled = await token(p, { grant_type: GRANT, assertion: await assertion(k, { scope: 's' }) });
    expect(disabled.body.error).toBe('invalid_grant');
    const big = await fetch(`${p.urls.api}/token`, {
      method: 'POST',
      body: 'assertion=' + 'a'.repeat(100_000),
    });
    expect([big.status, ((await big.json()) as { error: string }).error]).toEqual([413, 'invalid_request']);
  });

  it('rate-limits token requests per client address', async () => {
    const p = await usePlatform({ clock: new FakeClock(Date.now()) });
    const statuses: number[] = [];
    for (let i = 0; i < 70; i++) statuses.push((await token(p, { grant_type: 'password' })).status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    const last = await fetch(`${p.urls.api}/token`, { method: 'POST', body: 'grant_type=password' });
    expect(last.headers.get('retry-after')).toBe('1');
    expect(((await last.json()) as { error: string }).error).toBe('rate_limit_exceeded');
  });

  it("refreshes the owner's credential into access and ID tokens", async () => {
    const p = await usePlatform();
    const r = await token(p, {
      grant_type: 'refresh_token',
      refresh_token: p.iam.ownerCredentials.token,
      audience: AUD,
    });
    expect(r.body.token_type).toBe('Bearer');
    const who = await p.iam.authenticate(`Bearer ${String(r.body.access_token)}`);
    expect(who.member).toBe('user:owner@tarmac.localhost');
    const { payload } = await jwtVerify(
      r.body.id_token as string,
      createRemoteJWKSet(new URL(`${p.urls.api}/oauth2/v3/certs`)),
      { audience: AUD },
    );
    expect(payload.email).toBe('owner@tarmac.localhost');
    expect((await token(p, { grant_type: 'refresh_token', refresh_token: 'tarmac_bogus' })).body.error).toBe(
      'invalid_grant',
    );
  });

  it('google-auth-library obtains an ID token with a tarmac key file', async () => {
    const p = await usePlatform();
    const email = await newAccount(p, 'gal-user');
    const k = await newKeyFile(p, email);
    // google-auth-library posts to its built-in https://oauth2.googleapis.com/token and ignores the key
    // file's token_uri; the documented transporter option sends that request to token_uri instead.
    const transporter = new Gaxios() as unknown as NonNullable<GoogleAuthTransporter>;
    transporter.interceptors.request.add({
      resolved: async (cfg) => {
        if (String(cfg.url) === 'https://oauth2.googleapis.com/token') cfg.url = new URL(k.token_uri);
        return cfg;
      },
    });
    const auth = new GoogleAuth({ credentials: k, clientOptions: { transporter } });
    const client = (await auth.getIdTokenClient(AUD)) as IdTokenClient;
    const idToken = await client.idTokenProvider.fetchIdToken(AUD);
    const resource = 'projects/tarmac-project/locations/us-central1/services/hello';
    const route = {
      project: 'tarmac-project',
      region: 'us-central1',
      service: 'hello',
      invokerIamDisabled: false,
      ingress: 'all',
    };
    const deny = await p.iam.invokeAuthorizer(
      { headers: { authorization: `Bearer ${idToken}` }, internal: false },
      route,
      [AUD],
    );
    expect(deny).toMatchObject({ allow: false, status: 403 });
    p.iam.addBinding(resource, 'roles/run.invoker', `serviceAccount:${email}`);
    const headers: Record<string, string> = {};
    (await client.getRequestHeaders(AUD)).forEach((v, k) => {
      headers[k] = v;
    });
    const allow = await p.iam.invokeAuthorizer({ headers, internal: false }, route, [AUD]);
    expect(allow).toMatchObject({ allow: true, principal: { email } });
  });
});

describe('IAM Credentials', () => {
  it('mints ID and access tokens for holders of Token Creator on the account only', async () => {
    const p = await usePlatform();
    const target = await newAccount(p, 'target-sa');
    const caller = 'user:imp@example.com';
    const call = async (verb: string, body: unknown): Promise<Response> =>
      fetch(`${p.urls.api}/v1/projects/-/serviceAccounts/${target}:${verb}`, {
        method: 'POST',
        headers: { ...(await headersAs(p, caller)), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const denied = await call('generateIdToken', { audience: AUD });
    expect(denied.status).toBe(403);
    expect(JSON.stringify(await denied.json())).toContain('iam.serviceAccounts.getOpenIdToken');
    p.iam.addBinding(`projects/-/serviceAccounts/${target}`, 'roles/iam.serviceAccountTokenCreator', caller);
    const id = (await (await call('generateIdToken', { audience: AUD, includeEmail: true })).json()) as {
      token: string;
    };
    const claims = JSON.parse(Buffer.from(id.token.split('.')[1]!, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    expect(claims).toMatchObject({ aud: AUD, email: target });
    const at = await call('generateAccessToken', {
      scope: ['https://www.googleapis.com/auth/cloud-platform'],
      lifetime: '600s',
    });
    const body = (await at.json()) as { accessToken: string; expireTime: string };
    expect(Date.parse(body.expireTime) - Date.now()).toBeLessThanOrEqual(600_000);
    expect((await p.iam.authenticate(`Bearer ${body.accessToken}`)).email).toBe(target);
    expect((await call('generateAccessToken', { scope: ['x'], lifetime: '7200s' })).status).toBe(400);
    expect((await call('generateAccessToken', {})).status).toBe(400);
  });
});
