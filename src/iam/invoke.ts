import type { InvokeAuthorizer, InvokeDecision, InvokeRequest, Principal } from '../model/index.ts';
import { ANONYMOUS } from '../model/index.ts';
import { isTarmacError } from '../shared/index.ts';
import type { Authn } from './authn.ts';
import { bearerToken } from './authn.ts';
import type { Authz } from './authz.ts';
import { CLI_CLIENT_ID, type TokenService } from './tokens.ts';

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

const deny = (status: 401 | 403 | 404, message: string): InvokeDecision => ({
  allow: false,
  status,
  message,
});

/** Which header carries the invoker's token: X-Serverless-Authorization wins over Authorization. */
export function invokerCredential(headers: InvokeRequest['headers']): string | undefined {
  const xsa = first(headers['x-serverless-authorization']);
  if (xsa !== undefined && xsa.trim() !== '') return xsa;
  const auth = first(headers.authorization);
  return auth !== undefined && auth.trim() !== '' ? auth : undefined;
}

/**
 * Replaces a forwarded token's signature so the container can read its claims but never replay it
 * against tarmac (Cloud Run does the same with SIGNATURE_REMOVED_BY_GOOGLE).
 */
export function stripSignature(headerValue: string): string {
  return headerValue.replace(
    /^(\s*bearer\s+)([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\.[A-Za-z0-9_-]+/i,
    '$1$2.SIGNATURE_REMOVED_BY_GOOGLE',
  );
}

const ALLOW_ANONYMOUS: InvokeDecision = { allow: true, principal: ANONYMOUS };

/**
 * Builds the ingress's invoker check from token verification and policy evaluation. Synchronous
 * unless a token has to be verified, so a public service's requests wait for no promise.
 */
export function createInvokeAuthorizer(tokens: TokenService, authn: Authn, authz: Authz): InvokeAuthorizer {
  const decide = (principal: Principal, token: string | undefined, resource: string): InvokeDecision => {
    if (authz.holds(principal, 'run.routes.invoke', resource)) return { allow: true, principal };
    if (token === undefined) {
      return deny(
        403,
        'The request was not authenticated. Either allow unauthenticated invocations or set the proper Authorization header.',
      );
    }
    return deny(
      403,
      `Your client does not have permission to get URL from this server (missing run.routes.invoke).`,
    );
  };
  const unauthorized = (e: unknown): InvokeDecision => {
    if (isTarmacError(e) && e.code === 'UNAUTHENTICATED') {
      return deny(401, 'The request was not authorized to invoke this service.');
    }
    throw e;
  };
  const verified = async (token: string, audiences: string[], resource: string): Promise<InvokeDecision> => {
    let principal: Principal;
    try {
      const claims = await tokens.verifyId(token, [...audiences, CLI_CLIENT_ID]);
      principal = authn.principalOfSubject(claims.sub);
      // The CLI audience stands in for any service only for people, as gcloud's does on Cloud Run.
      if (claims.aud === CLI_CLIENT_ID && !audiences.includes(CLI_CLIENT_ID) && principal.kind !== 'user') {
        return deny(401, 'The request was not authorized to invoke this service.');
      }
    } catch (e) {
      return unauthorized(e);
    }
    return decide(principal, token, resource);
  };
  return (req, route, audiences) => {
    if (route.ingress === 'none') return deny(404, 'not found');
    if (route.ingress === 'internal' && !req.internal) {
      return deny(404, 'This service only accepts requests from inside tarmac (ingress: internal).');
    }
    if (route.invokerIamDisabled) return ALLOW_ANONYMOUS;
    const resource = `projects/${route.project}/locations/${route.region}/services/${route.service}`;
    let token: string | undefined;
    try {
      token = bearerToken(invokerCredential(req.headers));
    } catch (e) {
      return unauthorized(e);
    }
    return token === undefined
      ? decide(ANONYMOUS, undefined, resource)
      : verified(token, audiences, resource);
  };
}
