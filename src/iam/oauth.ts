import type { KeyObject } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import type { Clock } from '../shared/index.ts';
import type { ServiceAccount, ServiceAccountRepo, UserRepo } from './accounts.ts';
import type { ApiTokenRepo } from './apitokens.ts';
import { principalOfMember } from './authn.ts';
import type { ServiceAccountKeyRepo } from './sakeys.ts';
import { CLOCK_SKEW_S, MAX_TOKEN_LIFETIME_S } from './signing.ts';
import { CLI_CLIENT_ID, type TokenService } from './tokens.ts';

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const GOOGLE_TOKEN_URIS = [
  'https://oauth2.googleapis.com/token',
  'https://www.googleapis.com/oauth2/v4/token',
  'https://accounts.google.com/o/oauth2/token',
];

/** An error in RFC 6749's shape: `{"error": ..., "error_description": ...}`. */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }

  body(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}

const invalidGrant = (d: string): OAuthError => new OAuthError(400, 'invalid_grant', d);

/** Per-address token buckets: `burst` requests at once, refilled at `perSecond`. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly burst = 60,
    private readonly perSecond = 10,
  ) {}

  /** Takes one token for `key`; false when the bucket is empty. */
  take(key: string): boolean {
    const now = this.clock.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    if (this.buckets.size > 10_000) this.buckets.clear();
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}

export type TokenResponse =
  { access_token: string; expires_in: number; token_type: 'Bearer' } | { id_token: string };

/** The OAuth2 token endpoint's logic: JWT-bearer assertions from key files, and refresh of API credentials. */
export class TokenExchange {
  constructor(
    private readonly accounts: ServiceAccountRepo,
    private readonly users: UserRepo,
    private readonly keys: ServiceAccountKeyRepo,
    private readonly tokens: TokenService,
    private readonly apiTokens: ApiTokenRepo,
    private readonly clock: Clock,
  ) {}

  async exchange(form: URLSearchParams): Promise<TokenResponse> {
    const grant = form.get('grant_type');
    if (grant === JWT_BEARER) return this.jwtBearer(form.get('assertion') ?? '');
    if (grant === 'refresh_token') return this.refresh(form);
    if (!grant) throw new OAuthError(400, 'invalid_request', 'Missing required parameter: grant_type');
    throw new OAuthError(400, 'unsupported_grant_type', `Invalid grant_type: ${grant.slice(0, 100)}`);
  }

  private async jwtBearer(assertion: string): Promise<TokenResponse> {
    if (assertion === '')
      throw new OAuthError(400, 'invalid_request', 'Missing required parameter: assertion');
    let kid: string | undefined;
    let iss: string | undefined;
    try {
      kid = decodeProtectedHeader(assertion).kid;
      iss = decodeJwt(assertion).iss;
    } catch {
      throw invalidGrant('Invalid JWT: the assertion is malformed.');
    }
    const sa = iss ? this.accounts.find(iss) : undefined;
    if (!sa || sa.email !== iss?.toLowerCase()) throw invalidGrant('Invalid grant: account not found');
    if (sa.disabled) throw invalidGrant('Invalid grant: account is disabled');
    const claims = await this.verifyAssertion(assertion, sa, kid);
    if ((claims.exp ?? 0) - (claims.iat ?? 0) > MAX_TOKEN_LIFETIME_S) {
      throw invalidGrant(
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.',
      );
    }
    const target = claims.target_audience;
    if (typeof target === 'string' && target !== '') {
      return {
        id_token: await this.tokens.mintId({
          sub: sa.uniqueId,
          email: sa.email,
          audience: target,
          includeEmail: true,
        }),
      };
    }
    const scope = typeof claims.scope === 'string' ? claims.scope.trim() : '';
    if (scope === '') throw new OAuthError(400, 'invalid_scope', 'Empty or missing scope not allowed.');
    return this.access(sa.uniqueId, sa.email, scope.split(/\s+/));
  }

  /** Checks the assertion with the key its `kid` names, or (google-auth-library sends none) each enabled key. */
  private async verifyAssertion(
    assertion: string,
    sa: ServiceAccount,
    kid: string | undefined,
  ): Promise<JWTPayload> {
    let keys: KeyObject[];
    try {
      keys = kid ? [this.keys.verificationKey(sa, kid)] : this.keys.enabledKeys(sa);
    } catch {
      keys = [];
    }
    const tokenUri = `${this.tokens.issuerUrl}/token`;
    for (const key of keys) {
      try {
        const { payload } = await jwtVerify(assertion, key, {
          algorithms: ['RS256'],
          issuer: sa.email,
          audience: [tokenUri, ...GOOGLE_TOKEN_URIS],
          currentDate: new Date(this.clock.now()),
          clockTolerance: CLOCK_SKEW_S,
          requiredClaims: ['iat', 'exp'],
        });
        return payload;
      } catch (e) {
        const err = e as { code?: string; claim?: string };
        if (err.code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') continue;
        if (err.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && err.claim === 'aud') {
          throw invalidGrant('Invalid JWT: the audience is not this token endpoint.');
        }
        if (err.code === 'ERR_JWT_EXPIRED' || err.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
          throw invalidGrant(
            'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
          );
        }
        throw invalidGrant('Invalid JWT: the assertion is malformed.');
      }
    }
    throw invalidGrant('Invalid JWT Signature.');
  }

  /**
   * Turns a long-lived API credential into an access token, plus an ID token for `audience` (a tarmac
   * extension; default the CLI's client id), as Google's refresh answers carry an id_token.
   */
  private async refresh(form: URLSearchParams): Promise<TokenResponse> {
    const member = this.apiTokens.resolve(form.get('refresh_token') ?? '');
    if (!member) throw invalidGrant('Bad Request');
    const p = principalOfMember(member);
    const sub =
      p.kind === 'user' ? this.users.find(p.email)?.uniqueId : this.accounts.find(p.email)?.uniqueId;
    if (!sub) throw invalidGrant('Invalid grant: account not found');
    const scope = form.get('scope') ?? 'openid https://www.googleapis.com/auth/cloud-platform';
    const access = await this.access(sub, p.email, scope.split(/\s+/));
    const audience = form.get('audience') || CLI_CLIENT_ID;
    const idToken = await this.tokens.mintId({ sub, email: p.email, audience, includeEmail: true });
    return { ...access, id_token: idToken };
  }

  private async access(sub: string, email: string, scopes: string[]): Promise<TokenResponse> {
    const t = await this.tokens.mintAccess({ sub, email, scopes });
    return {
      access_token: t.token,
      expires_in: Math.floor((t.expiresAt - this.clock.now()) / 1000),
      token_type: 'Bearer',
    };
  }
}
