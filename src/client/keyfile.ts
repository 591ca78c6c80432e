import { SignJWT, importPKCS8 } from 'jose';
import { TarmacError } from '../shared/index.ts';

/** The fields of a Google-format service account key file that token exchange needs. */
export interface ServiceAccountKeyFile {
  type: string;
  client_email: string;
  private_key: string;
  private_key_id: string;
  token_uri: string;
  project_id?: string;
}

export interface OAuthTokens {
  access_token?: string;
  expires_in?: number;
  id_token?: string;
}

/** Checks that parsed JSON is a service account key file. */
export function asKeyFile(v: unknown, source: string): ServiceAccountKeyFile {
  const k = v as Partial<ServiceAccountKeyFile> | null;
  for (const f of ['client_email', 'private_key', 'private_key_id', 'token_uri'] as const) {
    if (!k || typeof k[f] !== 'string' || k[f] === '') {
      throw new TarmacError('INVALID_ARGUMENT', `${source} is not a service account key file (no ${f}).`, {
        reason: 'BAD_KEY_FILE',
      });
    }
  }
  if (k!.type !== 'service_account') {
    throw new TarmacError(
      'INVALID_ARGUMENT',
      `${source} is not a service account key file (type ${String(k!.type)}).`,
      {
        reason: 'BAD_KEY_FILE',
      },
    );
  }
  return k as ServiceAccountKeyFile;
}

async function post(url: string, form: Record<string, string>): Promise<OAuthTokens> {
  const res = await fetch(url, { method: 'POST', body: new URLSearchParams(form) });
  const body = (await res.json().catch(() => ({}))) as OAuthTokens & {
    error?: string;
    error_description?: string;
  };
  if (!res.ok) {
    throw new TarmacError(
      'UNAUTHENTICATED',
      `${body.error ?? `HTTP ${res.status}`}: ${body.error_description ?? ''}`.trim(),
      {
        reason: body.error ?? 'TOKEN_EXCHANGE_FAILED',
      },
    );
  }
  return body;
}

/** The JWT-bearer grant with a key file: `targetAudience` gives an ID token, `scope` an access token. */
export async function exchangeKeyFile(
  key: ServiceAccountKeyFile,
  want: { targetAudience?: string; scope?: string },
): Promise<OAuthTokens> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    iss: key.client_email,
    aud: key.token_uri,
    iat: now,
    exp: now + 3600,
  };
  if (want.targetAudience) claims.target_audience = want.targetAudience;
  else claims.scope = want.scope ?? 'https://www.googleapis.com/auth/cloud-platform';
  const assertion = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.private_key_id })
    .sign(await importPKCS8(key.private_key, 'RS256'));
  return post(key.token_uri, { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion });
}

/** The refresh grant with the installation's long-lived credential: an access token and an ID token for `audience`. */
export function refreshCredential(endpoint: string, token: string, audience?: string): Promise<OAuthTokens> {
  const form: Record<string, string> = { grant_type: 'refresh_token', refresh_token: token };
  if (audience) form.audience = audience;
  return post(`${endpoint.replace(/\/+$/, '')}/token`, form);
}
