import { createHmac, generateKeyPairSync } from 'node:crypto';
import { SignJWT, base64url } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InvokeDecision } from '../model/index.ts';
import type { FakeClock } from '../shared/index.ts';
import { saPrincipal, userPrincipal } from './authn.ts';
import { stripSignature } from './invoke.ts';
import type { Iam } from './service.ts';
import { TEST_API, makeIam } from './test-fixture.ts';

const URL_ = 'http://hello-123456789012.us-central1.run.localhost:8080';
const route = {
  project: 'tarmac-project',
  region: 'us-central1',
  service: 'hello',
  invokerIamDisabled: false,
  ingress: 'all',
};
const RESOURCE = 'projects/tarmac-project/locations/us-central1/services/hello';

let iam: Iam;
let clock: FakeClock;
let dispose: () => Promise<void>;
let sa: string;
let saId: string;

beforeAll(async () => {
  ({ iam, clock, dispose } = await makeIam());
  const project = iam.projects.get('tarmac-project');
  const acct = iam.serviceAccounts.create(project, 'caller-one');
  sa = acct.email;
  saId = acct.uniqueId;
  iam.serviceAccounts.create(project, 'no-role-sa');
  iam.addBinding(RESOURCE, 'roles/run.invoker', `serviceAccount:${sa}`);
});
afterAll(() => dispose());

const check = (
  headers: Record<string, string>,
  r: Partial<typeof route> = {},
  internal = false,
): Promise<InvokeDecision> =>
  Promise.resolve(iam.invokeAuthorizer({ headers, internal }, { ...route, ...r }, [URL_]));
const bearer = (t: string): Record<string, string> => ({ authorization: `Bearer ${t}` });

/** A token with our issuer's current key but chosen header and claims. */
async function forge(claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  const key = await iam.signingKeys.current();
  const now = Math.floor(clock.now() / 1000);
  return new SignJWT({ iss: TEST_API, aud: URL_, sub: saId, iat: now, exp: now + 3600, ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT', ...header })
    .sign(key.privateKey);
}

function unsigned(header: Record<string, unknown>, claims: Record<string, unknown>, sig = ''): string {
  const enc = (o: unknown): string => base64url.encode(JSON.stringify(o));
  return `${enc(header)}.${enc(claims)}.${sig}`;
}

describe('invoker check', () => {
  it('lets a token holder with run.invoker through, via Authorization or X-Serverless-Authorization', async () => {
    const t = await iam.idToken(sa, URL_);
    expect(await check(bearer(t))).toEqual({ allow: true, principal: saPrincipal(sa) });
    const both = { 'x-serverless-authorization': `Bearer ${t}`, authorization: 'Bearer app-own-token' };
    expect((await check(both)).allow).toBe(true);
  });

  it('answers 403 without a token and 403 for a valid token without the role', async () => {
    expect(await check({})).toMatchObject({ allow: false, status: 403 });
    const other = await iam.idToken(`no-role-sa@tarmac-project.iam.gserviceaccount.com`, URL_);
    expect(await check(bearer(other))).toMatchObject({ allow: false, status: 403 });
  });

  it('answers 401 for every kind of bad token', async () => {
    const now = Math.floor(clock.now() / 1000);
    const key = await iam.signingKeys.current();
    const good = await forge({});
    const [h, p] = good.split('.');
    const pem = key.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const hsHeader = base64url.encode(JSON.stringify({ alg: 'HS256', kid: key.kid, typ: 'JWT' }));
    const hsSig = createHmac('sha256', pem).update(`${hsHeader}.${p}`).digest('base64url');
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const bad: Record<string, string> = {
      expired: await forge({ iat: now - 7200, exp: now - 3600 }),
      notYetValid: await forge({ nbf: now + 3600 }),
      wrongAudience: await forge({ aud: 'http://other.example' }),
      wrongIssuer: await forge({ iss: 'https://accounts.google.com' }),
      badSignature: `${h}.${p}.${base64url.encode(Buffer.alloc(256, 1))}`,
      algNone: unsigned(
        { alg: 'none', typ: 'JWT' },
        JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>,
      ),
      hs256WithPublicKey: `${hsHeader}.${p}.${hsSig}`,
      unknownKid: await forge({}, { kid: 'nope' }),
      strangerKey: await new SignJWT({ iss: TEST_API, aud: URL_, sub: saId, iat: now, exp: now + 60 })
        .setProtectedHeader({ alg: 'RS256', kid: key.kid })
        .sign(stranger),
      malformed: 'not.a.jwt',
      garbage: 'abc',
      tooLong: await forge({ exp: now + 86_400 }),
      accessToken: (await iam.accessToken(sa, ['x'])).token,
    };
    for (const [name, token] of Object.entries(bad)) {
      expect(await check(bearer(token)), name).toMatchObject({ allow: false, status: 401 });
    }
    expect(await check({ authorization: 'Basic Zm9vOmJhcg==' })).toMatchObject({ allow: false, status: 401 });
  });

  it('allUsers and allAuthenticatedUsers, invokerIamDisabled and ingress internal', async () => {
    const pub = 'projects/tarmac-project/locations/us-central1/services/pub';
    iam.addBinding(pub, 'roles/run.invoker', 'allUsers');
    expect((await check({}, { service: 'pub' })).allow).toBe(true);
    const authd = 'projects/tarmac-project/locations/us-central1/services/authd';
    iam.addBinding(authd, 'roles/run.invoker', 'allAuthenticatedUsers');
    expect(await check({}, { service: 'authd' })).toMatchObject({ allow: false, status: 403 });
    const other = await iam.idToken(`no-role-sa@tarmac-project.iam.gserviceaccount.com`, URL_);
    expect((await check(bearer(other), { service: 'authd' })).allow).toBe(true);
    expect((await check({}, { invokerIamDisabled: true })).allow).toBe(true);
    const t = await iam.idToken(sa, URL_);
    expect(await check(bearer(t), { ingress: 'internal' })).toMatchObject({ allow: false, status: 404 });
    expect((await check(bearer(t), { ingress: 'internal' }, true)).allow).toBe(true);
  });

  it('accepts users tokens minted for the CLI audience, but not service accounts', async () => {
    iam.addBinding(RESOURCE, 'roles/run.invoker', 'user:dev@example.com');
    const user = await iam.idTokenFor(userPrincipal('dev@example.com'), 'tarmac-cli');
    expect((await check(bearer(user))).allow).toBe(true);
    const saCli = await iam.idToken(sa, 'tarmac-cli');
    expect(await check(bearer(saCli))).toMatchObject({ allow: false, status: 401 });
  });

  it('refuses tokens of a disabled account and strips forwarded signatures', async () => {
    const t = await iam.idToken(sa, URL_);
    iam.serviceAccounts.setDisabled(sa, true);
    expect(await check(bearer(t))).toMatchObject({ allow: false, status: 401 });
    iam.serviceAccounts.setDisabled(sa, false);
    const stripped = stripSignature(`Bearer ${t}`);
    expect(stripped.endsWith('.SIGNATURE_REMOVED_BY_GOOGLE')).toBe(true);
    expect(await check({ authorization: stripped })).toMatchObject({ allow: false, status: 401 });
  });

  it('keeps a rotated-out key published until its tokens have expired', async () => {
    const old = await iam.idToken(sa, URL_);
    const oldKid = (await iam.signingKeys.current()).kid;
    await iam.signingKeys.rotate();
    expect(iam.signingKeys.jwks().keys.map((k) => k.kid)).toContain(oldKid);
    expect((await check(bearer(old))).allow).toBe(true);
    clock.advance(3600_000 + 300_000 + 1000);
    expect(iam.signingKeys.jwks().keys.map((k) => k.kid)).not.toContain(oldKid);
    expect(await check(bearer(old))).toMatchObject({ allow: false, status: 401 });
    expect((await check(bearer(await iam.idToken(sa, URL_)))).allow).toBe(true);
  });
});
