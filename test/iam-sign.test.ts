import { statSync } from 'node:fs';
import { join } from 'node:path';
import { createPublicKey, verify } from 'node:crypto';
import { google } from 'googleapis';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { accessTokenAs, apiCall, defaultProject, headersAs } from './auth.ts';
import { usePlatform } from './harness.ts';

const CALLER = 'user:signer@example.com';

describe('IAM Credentials signBlob and signJwt', () => {
  it('signs for Token Creators only, with a key published at service_accounts/v1/jwk', async () => {
    const p = await usePlatform();
    const { projectId } = defaultProject(p);
    const sa = await apiCall(p, 'POST', `/v1/projects/${projectId}/serviceAccounts`, {
      accountId: 'signer-sa',
    });
    const email = sa.json.email as string;
    const name = `projects/-/serviceAccounts/${email}`;
    const headers = await headersAs(p, CALLER);

    // Without the role: 403 naming the permission.
    const denied = await apiCall(p, 'POST', `/v1/${name}:signBlob`, { payload: 'aGVsbG8=' }, headers);
    expect(denied.status).toBe(403);
    expect(JSON.stringify(denied.json)).toContain('iam.serviceAccounts.signBlob');
    const deniedJwt = await apiCall(p, 'POST', `/v1/${name}:signJwt`, { payload: '{}' }, headers);
    expect(deniedJwt.status).toBe(403);
    expect(JSON.stringify(deniedJwt.json)).toContain('iam.serviceAccounts.signJwt');

    p.iam.addBinding(name, 'roles/iam.serviceAccountTokenCreator', CALLER);

    // Google's own client, pointed at tarmac.
    const auth = new google.auth.OAuth2();
    auth.setCredentials({ access_token: await accessTokenAs(p, CALLER) });
    const creds = google.iamcredentials({ version: 'v1', rootUrl: `${p.urls.api}/`, auth });
    const blob = Buffer.from('bytes to sign');
    const signed = await creds.projects.serviceAccounts.signBlob({
      name,
      requestBody: { payload: blob.toString('base64') },
    });
    expect(signed.data.keyId).toMatch(/^[0-9a-f]{40}$/);
    const jwks = (await (await fetch(`${p.urls.api}/service_accounts/v1/jwk/${email}`)).json()) as {
      keys: { kid: string }[];
    };
    const jwk = jwks.keys.find((k) => k.kid === signed.data.keyId)!;
    expect(jwk).toBeDefined();
    const pub = createPublicKey({ key: jwk, format: 'jwk' });
    expect(verify('sha256', blob, pub, Buffer.from(signed.data.signedBlob!, 'base64'))).toBe(true);
    expect(verify('sha256', Buffer.from('other'), pub, Buffer.from(signed.data.signedBlob!, 'base64'))).toBe(
      false,
    );

    // signJwt: RS256 with the same key; exp is added when missing.
    const now = Math.floor(Date.now() / 1000);
    const jwt = await creds.projects.serviceAccounts.signJwt({
      name,
      requestBody: {
        payload: JSON.stringify({ iss: email, sub: email, aud: 'https://example.test', iat: now }),
      },
    });
    expect(jwt.data.keyId).toBe(signed.data.keyId);
    const keySet = createRemoteJWKSet(new URL(`${p.urls.api}/service_accounts/v1/jwk/${email}`));
    const { payload, protectedHeader } = await jwtVerify(jwt.data.signedJwt!, keySet, {
      audience: 'https://example.test',
      issuer: email,
    });
    expect(protectedHeader).toMatchObject({ alg: 'RS256', kid: signed.data.keyId });
    expect(payload.exp).toBe(now + 3600);

    // A signJwt assertion is a valid JWT-bearer grant, as with Google (keyless service-account auth).
    const assertion = await apiCall(
      p,
      'POST',
      `/v1/${name}:signJwt`,
      {
        payload: JSON.stringify({
          iss: email,
          aud: `${p.urls.api}/token`,
          iat: now,
          exp: now + 600,
          scope: 'https://www.googleapis.com/auth/cloud-platform',
        }),
      },
      headers,
    );
    const exchanged = await fetch(`${p.urls.api}/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion: assertion.json.signedJwt as string,
      }),
    });
    expect(exchanged.status).toBe(200);
    const access = ((await exchanged.json()) as { access_token: string }).access_token;
    expect((await p.iam.authenticate(`Bearer ${access}`)).email).toBe(email);

    // Bad input: exp beyond 12 hours, a non-object payload, non-base64 blob.
    const far = await apiCall(
      p,
      'POST',
      `/v1/${name}:signJwt`,
      { payload: `{"exp":${now + 13 * 3600}}` },
      headers,
    );
    expect(far.status).toBe(400);
    expect((await apiCall(p, 'POST', `/v1/${name}:signJwt`, { payload: '[1]' }, headers)).status).toBe(400);
    expect((await apiCall(p, 'POST', `/v1/${name}:signBlob`, { payload: '%%%' }, headers)).status).toBe(400);

    // The system-managed key is listed with the account's keys; its private half is a 0600 file.
    const keys = await apiCall(p, 'GET', `/v1/${name}/keys`);
    expect(keys.json.keys).toContainEqual(
      expect.objectContaining({
        keyType: 'SYSTEM_MANAGED',
        name: `projects/${projectId}/serviceAccounts/${email}/keys/${signed.data.keyId}`,
      }),
    );
    const file = join(p.paths.home, 'keys', 'accounts', `${signed.data.keyId}.pem`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(p.paths.home, 'keys', 'accounts')).mode & 0o777).toBe(0o700);
  });
});
