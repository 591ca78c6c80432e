import type { IncomingMessage } from 'node:http';
import {
  MAX_TOKEN_LIFETIME_S,
  accountNotFound,
  saPrincipal,
  type Iam,
  type ServiceAccount,
} from '../iam/index.ts';
import { invalidArgument, readJson, sendJson, type Router } from '../shared/index.ts';
import { SA, guarded, lookup } from './iam-accounts.ts';
import { asObject, stringList } from './iam-util.ts';

function lifetimeSeconds(v: unknown): number {
  if (v === undefined) return MAX_TOKEN_LIFETIME_S;
  const m = typeof v === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(v) : null;
  const n = m ? Number(m[1]) : NaN;
  if (!(n > 0 && n <= MAX_TOKEN_LIFETIME_S)) {
    throw invalidArgument('lifetime must be between 1s and 3600s', [
      { field: 'lifetime', description: 'a duration up to 3600s' },
    ]);
  }
  return Math.floor(n);
}

/** IAM Credentials v1: generateIdToken, generateAccessToken, signBlob, signJwt for Token Creators of the account. */
export function credentialsRoutes(iam: Iam): (router: Router) => void {
  return (router) => {
    router.add('POST', new RegExp(`^/v1/projects/${SA}:generateIdToken$`), async (req, res, p) => {
      const body = asObject(await readJson(req));
      const sa = await target(
        iam,
        req,
        p,
        stringList(body.delegates, 'delegates'),
        'iam.serviceAccounts.getOpenIdToken',
      );
      if (typeof body.audience !== 'string' || body.audience === '') {
        throw invalidArgument('audience is required', [{ field: 'audience', description: 'required' }]);
      }
      const token = await iam.idToken(sa.email, body.audience, { includeEmail: body.includeEmail === true });
      sendJson(res, 200, { token });
    });
    router.add('POST', new RegExp(`^/v1/projects/${SA}:generateAccessToken$`), async (req, res, p) => {
      const body = asObject(await readJson(req));
      const sa = await target(
        iam,
        req,
        p,
        stringList(body.delegates, 'delegates'),
        'iam.serviceAccounts.getAccessToken',
      );
      const scope = stringList(body.scope, 'scope');
      if (scope.length === 0)
        throw invalidArgument('scope is required', [{ field: 'scope', description: 'at least one scope' }]);
      const life = lifetimeSeconds(body.lifetime);
      const t = await iam.tokens.mintAccess({
        sub: sa.uniqueId,
        email: sa.email,
        scopes: scope,
        lifetimeS: life,
      });
      sendJson(res, 200, { accessToken: t.token, expireTime: new Date(t.expiresAt).toISOString() });
    });
    router.add('POST', new RegExp(`^/v1/projects/${SA}:signBlob$`), async (req, res, p) => {
      const body = asObject(await readJson(req));
      const sa = await target(
        iam,
        req,
        p,
        stringList(body.delegates, 'delegates'),
        'iam.serviceAccounts.signBlob',
      );
      if (typeof body.payload !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(body.payload)) {
        throw invalidArgument('payload must be base64', [{ field: 'payload', description: 'base64 bytes' }]);
      }
      sendJson(res, 200, await iam.signer.signBlob(sa, Buffer.from(body.payload, 'base64')));
    });
    router.add('POST', new RegExp(`^/v1/projects/${SA}:signJwt$`), async (req, res, p) => {
      const body = asObject(await readJson(req));
      const sa = await target(
        iam,
        req,
        p,
        stringList(body.delegates, 'delegates'),
        'iam.serviceAccounts.signJwt',
      );
      if (typeof body.payload !== 'string') {
        throw invalidArgument('payload is required', [{ field: 'payload', description: 'a JSON claim set' }]);
      }
      sendJson(res, 200, await iam.signer.signJwt(sa, body.payload));
    });
    // Public, as Google's www.googleapis.com/service_accounts/v1/jwk/EMAIL: checks signJwt results.
    router.add('GET', /^\/service_accounts\/v1\/jwk\/(?<email>[^/]+)$/, (_req, res, p) => {
      const sa = iam.serviceAccounts.find(decodeURIComponent(p.email!));
      if (!sa) throw accountNotFound(decodeURIComponent(p.email!));
      sendJson(res, 200, iam.keys.jwks(sa), { 'cache-control': 'public, max-age=300' });
    });
  };
}

/**
 * The account to mint for, after the checks: the caller needs `permission` on it, or with delegates,
 * implicitDelegation on the first delegate, each delegate on the next, and the last one `permission`.
 */
async function target(
  iam: Iam,
  req: IncomingMessage,
  p: Record<string, string>,
  delegates: string[],
  permission: string,
): Promise<ServiceAccount> {
  if (delegates.length === 0) return guarded(iam, req, p, permission);
  let principal = await iam.principal(req);
  for (const d of delegates) {
    const email = d.replace(/^projects\/[^/]+\/serviceAccounts\//, '');
    await iam.authorize(
      principal,
      'iam.serviceAccounts.implicitDelegation',
      `projects/-/serviceAccounts/${email}`,
    );
    principal = saPrincipal(iam.serviceAccounts.get(email).email);
  }
  await iam.authorize(principal, permission, `projects/${p.project}/serviceAccounts/${p.sa}`);
  return lookup(iam, p.project!, p.sa!);
}
