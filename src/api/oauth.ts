import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Iam } from '../iam/index.ts';
import { OAuthError, normalizeAddress } from '../iam/index.ts';
import { TarmacError, readBody, sendJson, type Router } from '../shared/index.ts';

/** Token endpoint requests larger than this are refused (an assertion is about 1 KiB). */
export const TOKEN_BODY_LIMIT = 64 * 1024;

function sendOAuth(res: ServerResponse, e: OAuthError, headers: Record<string, string> = {}): void {
  sendJson(res, e.status, e.body(), { 'cache-control': 'no-store', pragma: 'no-cache', ...headers });
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body: Buffer;
  try {
    body = await readBody(req, TOKEN_BODY_LIMIT);
  } catch (e) {
    if (e instanceof TarmacError && e.reason === 'BODY_TOO_LARGE') {
      throw new OAuthError(413, 'invalid_request', 'request body is too large');
    }
    throw e;
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') {
    try {
      const obj = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      return new URLSearchParams(Object.entries(obj).map(([k, v]) => [k, String(v)]));
    } catch {
      throw new OAuthError(400, 'invalid_request', 'body is not valid JSON');
    }
  }
  return new URLSearchParams(body.toString('utf8'));
}

/** OAuth2 token endpoint (JWT-bearer and refresh grants), OIDC discovery and the issuer's keys. */
export function oauthRoutes(iam: Iam): (router: Router) => void {
  const token = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      if (!iam.tokenRateLimit.take(normalizeAddress(req.socket.remoteAddress))) {
        throw new OAuthError(429, 'rate_limit_exceeded', 'Too many token requests; retry later.');
      }
      const out = await iam.exchange.exchange(await readForm(req));
      sendJson(res, 200, out, { 'cache-control': 'no-store', pragma: 'no-cache' });
    } catch (e) {
      if (!(e instanceof OAuthError)) throw e;
      sendOAuth(res, e, e.status === 429 ? { 'retry-after': '1' } : {});
    }
  };
  return (router) => {
    router.add('POST', '/token', token);
    router.add('POST', '/oauth2/v4/token', token);
    router.add('GET', '/.well-known/openid-configuration', (_req, res) => {
      const iss = iam.issuer;
      sendJson(
        res,
        200,
        {
          issuer: iss,
          token_endpoint: `${iss}/token`,
          jwks_uri: `${iss}/oauth2/v3/certs`,
          response_types_supported: ['id_token'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
          scopes_supported: ['openid', 'email'],
          grant_types_supported: ['urn:ietf:params:oauth:grant-type:jwt-bearer', 'refresh_token'],
          token_endpoint_auth_methods_supported: ['none'],
          claims_supported: ['aud', 'azp', 'email', 'email_verified', 'exp', 'iat', 'iss', 'sub'],
        },
        { 'cache-control': 'public, max-age=3600' },
      );
    });
    router.add('GET', '/oauth2/v3/certs', (_req, res) => {
      sendJson(res, 200, iam.signingKeys.jwks(), { 'cache-control': 'public, max-age=300' });
    });
    router.add('GET', '/oauth2/v1/certs', (_req, res) => {
      const pems = Object.fromEntries(
        iam.signingKeys
          .published()
          .map((k) => [k.kid, k.publicKey.export({ type: 'spki', format: 'pem' }).toString()]),
      );
      sendJson(res, 200, pems, { 'cache-control': 'public, max-age=300' });
    });
  };
}
