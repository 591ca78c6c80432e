import type { IncomingMessage } from 'node:http';
import { MAX_TOKEN_LIFETIME_S, saPrincipal, type Iam, type ServiceAccount } from '../iam/index.ts';
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

/** IAM Credentials v1: generateIdToken and generateAccessToken for holders of Token Creator on the account. */
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
