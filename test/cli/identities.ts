import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, importPKCS8 } from 'jose';
import { TarmacClient } from '../../src/client/index.ts';

/** The owner's API client for a platform home (from the credentials.json tarmac writes). */
export function ownerClient(home: string): TarmacClient {
  const c = JSON.parse(readFileSync(join(home, 'credentials.json'), 'utf8')) as {
    apiEndpoint: string;
    token: string;
  };
  return new TarmacClient({ endpoint: c.apiEndpoint, token: c.token });
}

/**
 * A service account with no roles and an access token for it, got as Google's libraries get one: a key
 * file's signed JWT-bearer assertion exchanged at the key file's token_uri.
 */
export async function roleLessToken(
  home: string,
  project: string,
  accountId: string,
): Promise<{ email: string; token: string }> {
  const owner = ownerClient(home);
  const sa = await owner.iam.createServiceAccount(project, accountId, { displayName: 'no roles' });
  const key = await owner.iam.createKey(project, sa.email!);
  const file = JSON.parse(Buffer.from(key.privateKeyData!, 'base64').toString('utf8')) as {
    client_email: string;
    private_key: string;
    private_key_id: string;
    token_uri: string;
  };
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({ scope: 'https://www.googleapis.com/auth/cloud-platform' })
    .setProtectedHeader({ alg: 'RS256', kid: file.private_key_id, typ: 'JWT' })
    .setIssuer(file.client_email)
    .setAudience(file.token_uri)
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(await importPKCS8(file.private_key, 'RS256'));
  const answer = await owner.oauth.jwtBearer(assertion);
  return { email: sa.email!, token: answer.access_token! };
}
