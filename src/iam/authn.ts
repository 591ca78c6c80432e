import { ANONYMOUS, type Principal } from '../model/index.ts';
import { TarmacError } from '../shared/index.ts';
import type { ServiceAccountRepo, UserRepo } from './accounts.ts';
import { ApiTokenRepo } from './apitokens.ts';
import { CLI_CLIENT_ID, TokenService, tokenError } from './tokens.ts';

export const userPrincipal = (email: string): Principal => ({ kind: 'user', email, member: `user:${email}` });
export const saPrincipal = (email: string): Principal => ({
  kind: 'serviceAccount',
  email,
  member: `serviceAccount:${email}`,
});

/** Turns a member string (user:X, serviceAccount:X) back into a Principal. */
export function principalOfMember(member: string): Principal {
  if (member.startsWith('user:')) return userPrincipal(member.slice(5));
  if (member.startsWith('serviceAccount:')) return saPrincipal(member.slice(15));
  return ANONYMOUS;
}

/** Extracts the token of a `Bearer X` header value; undefined when absent, UNAUTHENTICATED when not Bearer. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw tokenError('TOKEN_MALFORMED', 'Authorization header is not a Bearer token');
  return m[1];
}

/** Who a request is: from an opaque API token, an access token, or an ID token for the API. */
export class Authn {
  constructor(
    private readonly tokens: TokenService,
    private readonly accounts: ServiceAccountRepo,
    private readonly users: UserRepo,
    private readonly apiTokens: ApiTokenRepo,
  ) {}

  /** Anonymous without a header; UNAUTHENTICATED for any credential that does not verify. */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    const token = bearerToken(authorization);
    if (token === undefined) return ANONYMOUS;
    if (token.length > 16 * 1024) throw tokenError('TOKEN_MALFORMED', 'credential is too long');
    if (ApiTokenRepo.isApiToken(token)) {
      const member = this.apiTokens.resolve(token);
      if (!member)
        throw new TarmacError('UNAUTHENTICATED', 'Request had invalid authentication credentials.', {
          reason: 'TOKEN_UNKNOWN',
        });
      return this.live(principalOfMember(member));
    }
    const claims = TokenService.looksLikeAccessToken(token)
      ? await this.tokens.verifyAccess(token)
      : await this.tokens.verifyId(token, [this.tokens.issuerUrl, CLI_CLIENT_ID]);
    return this.principalOfSubject(claims.sub);
  }

  /** The principal a token's `sub` (a unique id) names; UNAUTHENTICATED when gone or disabled. */
  principalOfSubject(sub: string): Principal {
    const sa = this.accounts.find(sub);
    if (sa && sa.uniqueId === sub) return this.live(saPrincipal(sa.email));
    const user = this.users.findById(sub);
    if (user) return userPrincipal(user.email);
    throw new TarmacError('UNAUTHENTICATED', 'the account of this credential no longer exists', {
      reason: 'ACCOUNT_NOT_FOUND',
    });
  }

  private live(p: Principal): Principal {
    if (p.kind !== 'serviceAccount') return p;
    const sa = this.accounts.find(p.email);
    if (!sa)
      throw new TarmacError('UNAUTHENTICATED', 'the service account of this credential no longer exists', {
        reason: 'ACCOUNT_NOT_FOUND',
      });
    if (sa.disabled)
      throw new TarmacError('UNAUTHENTICATED', `service account ${sa.email} is disabled`, {
        reason: 'ACCOUNT_DISABLED',
      });
    return p;
  }
}
