import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { ANONYMOUS, type Authorizer, type Principal } from '../model/index.ts';
import { isTarmacError, type Clock } from '../shared/index.ts';
import { regError } from './errors.ts';
import { isValidRepositoryName } from './names.ts';

export type Action = 'pull' | 'push' | 'delete';

/** IAM permission behind each registry action, checked on projects/PROJECT. */
export const PERMISSION: Record<Action, string> = {
  pull: 'artifactregistry.repositories.downloadArtifacts',
  push: 'artifactregistry.repositories.uploadArtifacts',
  delete: 'artifactregistry.repositories.deleteArtifacts',
};

/** Repositories under this prefix (the docker.io base images) are readable by anyone. */
export const PUBLIC_PREFIX = 'library/';

/** Who is calling: a principal, and when they came with a registry token, what it grants. */
export interface Caller {
  principal: Principal;
  /** repository -> actions, from a registry bearer token; undefined for IAM credentials. */
  grants: Map<string, Set<Action>> | undefined;
  /** When the registry token it came with expires (epoch ms). */
  expiresAt?: number;
}

export interface TokenResponse {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
}

export interface RegistryAuthOptions {
  authorizer: Authorizer;
  clock: Clock;
  /** The `service` of the Bearer challenge. */
  service?: string;
  tokenTtlSeconds?: number;
}

const ISSUER = 'tarmac-registry';
/** Verified registry tokens kept (a push or pull presents the same token on every request). */
const VERIFIED_CACHE_SIZE = 1000;

/**
 * Registry authentication: the Docker token flow (challenge, token endpoint, bearer tokens scoped to
 * repository actions) and Basic auth with a tarmac access token as the password, both decided by
 * IAM (artifactregistry.* permissions on the repository's project).
 */
export class RegistryAuth {
  readonly service: string;
  private readonly key = randomBytes(32);
  private readonly ttl: number;
  /** token -> its caller and expiry (ms), so a token's signature is checked once, not per request. */
  private readonly verified = new Map<string, { caller: Caller; expiresAt: number }>();

  constructor(private readonly o: RegistryAuthOptions) {
    this.service = o.service ?? 'tarmac-registry';
    this.ttl = o.tokenTtlSeconds ?? 900;
  }

  /** Resolves the Authorization header; UNAUTHORIZED for a credential that does not verify. */
  async caller(header: string | undefined): Promise<Caller> {
    if (header === undefined || header.trim() === '') return { principal: ANONYMOUS, grants: undefined };
    const basic = /^\s*basic\s+(\S+)\s*$/i.exec(header);
    if (basic) {
      // A registry token also works as a Basic password (how tarmac hands the engine a push credential).
      const own = await this.verifyToken(passwordOf(basic[1]!));
      if (own) return own;
      return { principal: await this.fromPassword(basic[1]!), grants: undefined };
    }
    const bearer = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
    if (!bearer) throw regError('UNAUTHORIZED', 'unsupported Authorization scheme');
    const own = await this.verifyToken(bearer[1]!);
    if (own) return own;
    return { principal: await this.authenticate(`Bearer ${bearer[1]}`), grants: undefined };
  }

  /** True when the caller may do `action` on `repository`. */
  async allowed(caller: Caller, repository: string, action: Action): Promise<boolean> {
    if (action === 'pull' && repository.startsWith(PUBLIC_PREFIX)) return true;
    if (caller.grants) return granted(caller.grants, repository, action);
    if (caller.principal.kind === 'anonymous') return false;
    return this.iamAllows(caller.principal, repository, action);
  }

  /** Whether the catalog shows `repository` to the caller: public, or pullable under IAM. */
  async canList(caller: Caller, repository: string): Promise<boolean> {
    if (repository.startsWith(PUBLIC_PREFIX)) return true;
    if (caller.principal.kind === 'anonymous') return false;
    return this.iamAllows(caller.principal, repository, 'pull');
  }

  /** Throws UNAUTHORIZED (with a challenge for the needed scope) or DENIED unless allowed. */
  async require(caller: Caller, repository: string, actions: Action[]): Promise<void> {
    for (const action of actions) {
      if (await this.allowed(caller, repository, action)) continue;
      // Token holders and anonymous callers are sent for a (better) token; IAM credentials are final.
      if (caller.grants || caller.principal.kind === 'anonymous') {
        throw regError('UNAUTHORIZED', 'authentication required', [
          { Type: 'repository', Name: repository, Action: action },
        ]);
      }
      throw regError('DENIED', `${caller.principal.member} may not ${action} ${repository}`, {
        permission: PERMISSION[action],
        resource: `projects/${projectOf(repository)}`,
      });
    }
  }

  /** The WWW-Authenticate value sending a client to the token endpoint at `realm`. */
  challenge(realm: string, scope?: { repository: string; actions: Action[] }): string {
    const parts = [`realm="${realm}"`, `service="${this.service}"`];
    if (scope) parts.push(`scope="repository:${scope.repository}:${scope.actions.join(',')}"`);
    return `Bearer ${parts.join(',')}`;
  }

  /** The token endpoint: a bearer token granting the requested scopes' actions that IAM allows. */
  async issueToken(header: string | undefined, scopes: string[]): Promise<TokenResponse> {
    // A registry token presented here buys at most what it grants, and no longer than it lives
    // (how the engine, given tarmac's internal credential as a Basic password, gets its token).
    const caller = await this.caller(header);
    const { principal } = caller;
    const access: { type: string; name: string; actions: Action[] }[] = [];
    for (const scope of scopes.flatMap((s) => s.split(' ')).filter(Boolean)) {
      const m = /^repository(?:\([^)]*\))?:([^:]+):([a-z*,]+)$/.exec(scope);
      if (!m || !isValidRepositoryName(m[1]!)) continue;
      const wanted = m[2]!
        .split(',')
        .flatMap((a): Action[] => (a === '*' ? ['pull', 'push', 'delete'] : [a as Action]));
      const granted: Action[] = [];
      for (const a of new Set(wanted)) {
        if (a in PERMISSION && (await this.allowed(caller, m[1]!, a))) granted.push(a);
      }
      access.push({ type: 'repository', name: m[1]!, actions: granted });
    }
    const now = Math.floor(this.o.clock.now() / 1000);
    const ttl = Math.max(
      0,
      Math.min(this.ttl, caller.expiresAt ? Math.floor(caller.expiresAt / 1000) - now : this.ttl),
    );
    const token = await new SignJWT({ access, kind: principal.kind, email: principal.email })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(this.service)
      .setSubject(principal.member)
      .setIssuedAt(now)
      .setNotBefore(now - 60)
      .setExpirationTime(now + ttl)
      .sign(this.key);
    return {
      token,
      access_token: token,
      expires_in: ttl,
      issued_at: new Date(now * 1000).toISOString(),
    };
  }

  /**
   * A short-lived credential for tarmac itself: Basic username `tarmac`, password a registry token
   * granting `actions` on repositories under each prefix (e.g. `library/`), for the engine to push the
   * bootstrapped base images.
   */
  async internalCredentials(
    prefixes: string[],
    actions: Action[],
  ): Promise<{ username: string; password: string }> {
    const now = Math.floor(this.o.clock.now() / 1000);
    const access = prefixes.map((p) => ({ type: 'repository', name: `${p}*`, actions }));
    const password = await new SignJWT({ access, kind: 'serviceAccount', email: 'tarmac' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(this.service)
      .setSubject('tarmac-internal')
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(this.key);
    return { username: 'tarmac', password };
  }

  private async verifyToken(token: string): Promise<Caller | undefined> {
    const now = this.o.clock.now();
    const hit = this.verified.get(token);
    if (hit && hit.expiresAt > now) return hit.caller;
    if (hit) this.verified.delete(token);
    const caller = await this.verifyTokenUncached(token);
    if (caller) {
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.clear();
      this.verified.set(token, caller);
    }
    return caller?.caller;
  }

  private async verifyTokenUncached(
    token: string,
  ): Promise<{ caller: Caller; expiresAt: number } | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: this.service,
        algorithms: ['HS256'],
        currentDate: new Date(this.o.clock.now()),
      });
      const grants = new Map<string, Set<Action>>();
      for (const a of (payload.access as { name: string; actions: Action[] }[] | undefined) ?? []) {
        grants.set(a.name, new Set([...(grants.get(a.name) ?? []), ...a.actions]));
      }
      const kind = payload.kind as Principal['kind'];
      const principal: Principal = { kind, email: String(payload.email ?? ''), member: String(payload.sub) };
      const expiresAt = (payload.exp ?? 0) * 1000;
      return { caller: { principal, grants, expiresAt }, expiresAt };
    } catch {
      return undefined;
    }
  }

  private async fromPassword(b64: string): Promise<Principal> {
    const password = passwordOf(b64);
    if (password === '')
      throw regError('UNAUTHORIZED', 'Basic credentials need an access token as the password');
    return this.authenticate(`Bearer ${password}`);
  }

  private async authenticate(header: string): Promise<Principal> {
    try {
      const p = await this.o.authorizer.authenticate(header);
      if (p.kind === 'anonymous') throw regError('UNAUTHORIZED', 'authentication required');
      return p;
    } catch (e) {
      if (isTarmacError(e) && e.code === 'UNAUTHENTICATED') throw regError('UNAUTHORIZED', e.message);
      throw e;
    }
  }

  private async iamAllows(principal: Principal, repository: string, action: Action): Promise<boolean> {
    try {
      await this.o.authorizer.authorize(principal, PERMISSION[action], `projects/${projectOf(repository)}`);
      return true;
    } catch (e) {
      if (isTarmacError(e) && (e.code === 'PERMISSION_DENIED' || e.code === 'NOT_FOUND')) return false;
      throw e;
    }
  }
}

/** Whether grants (exact names, or `prefix/*` entries) allow `action` on `repository`. */
function granted(grants: Map<string, Set<Action>>, repository: string, action: Action): boolean {
  if (grants.get(repository)?.has(action)) return true;
  for (const [name, actions] of grants) {
    if (name.endsWith('/*') && repository.startsWith(name.slice(0, -1)) && actions.has(action)) return true;
  }
  return false;
}

function passwordOf(b64: string): string {
  const decoded = Buffer.from(b64, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? '' : decoded.slice(i + 1);
}

function projectOf(repository: string): string {
  return repository.split('/')[0] ?? '';
}
