import type { KeyObject } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { TarmacError, type Clock } from '../shared/index.ts';
import { CLOCK_SKEW_S, MAX_TOKEN_LIFETIME_S, type SigningKeyRing } from './signing.ts';

/** The `aud` of ID tokens `tarmac auth print-identity-token` mints for a user without --audiences. */
export const CLI_CLIENT_ID = 'tarmac-cli';

export type TokenReason =
  | 'TOKEN_MALFORMED'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_NOT_YET_VALID'
  | 'TOKEN_WRONG_AUDIENCE'
  | 'TOKEN_WRONG_ISSUER'
  | 'TOKEN_BAD_SIGNATURE'
  | 'TOKEN_UNKNOWN_KEY'
  | 'TOKEN_ALG_NOT_ALLOWED'
  | 'TOKEN_WRONG_TYPE'
  | 'TOKEN_LIFETIME_TOO_LONG';

export function tokenError(reason: TokenReason, message: string): TarmacError {
  return new TarmacError('UNAUTHENTICATED', message, { reason });
}

export interface IdClaims extends JWTPayload {
  sub: string;
  aud: string;
  azp?: string;
  email?: string;
  email_verified?: boolean;
}

export interface AccessClaims extends JWTPayload {
  sub: string;
  email: string;
  scope: string;
  token_use: 'access';
}

const ACCESS_TYP = 'at+jwt';

/** Signs and checks the RS256 tokens of tarmac's issuer. */
export class TokenService {
  constructor(
    private readonly keys: SigningKeyRing,
    private readonly clock: Clock,
    private readonly issuer: () => string,
  ) {}

  get issuerUrl(): string {
    return this.issuer();
  }

  /** An OIDC ID token: iss, aud, azp, sub, iat, exp (1 h), and email claims when asked. */
  async mintId(p: { sub: string; email: string; audience: string; includeEmail: boolean }): Promise<string> {
    const claims: Record<string, unknown> = { aud: p.audience, azp: p.sub, sub: p.sub };
    if (p.includeEmail) Object.assign(claims, { email: p.email, email_verified: true });
    return this.sign(claims, 'JWT', MAX_TOKEN_LIFETIME_S);
  }

  /** An access token for tarmac's own APIs (a JWT the API checks; never accepted as an ID token). */
  async mintAccess(p: {
    sub: string;
    email: string;
    scopes: string[];
    lifetimeS?: number;
  }): Promise<{ token: string; expiresAt: number }> {
    const life = Math.min(p.lifetimeS ?? MAX_TOKEN_LIFETIME_S, MAX_TOKEN_LIFETIME_S);
    const token = await this.sign(
      { aud: this.issuer(), sub: p.sub, email: p.email, scope: p.scopes.join(' '), token_use: 'access' },
      ACCESS_TYP,
      life,
    );
    return { token, expiresAt: this.nowS() * 1000 + life * 1000 };
  }

  /** Verifies an ID token for one of `audiences`; throws UNAUTHENTICATED with a TokenReason. */
  async verifyId(token: string, audiences: string[]): Promise<IdClaims> {
    const claims = await this.verify(token, 'JWT', audiences);
    if (claims.token_use !== undefined)
      throw tokenError('TOKEN_WRONG_TYPE', 'an access token is not an ID token');
    return claims as IdClaims;
  }

  async verifyAccess(token: string): Promise<AccessClaims> {
    const claims = await this.verify(token, ACCESS_TYP, [this.issuer()]);
    if (claims.token_use !== 'access') throw tokenError('TOKEN_WRONG_TYPE', 'not an access token');
    return claims as AccessClaims;
  }

  /** True when the text has a JWT's shape with our access-token type (no signature check). */
  static looksLikeAccessToken(token: string): boolean {
    try {
      return decodeProtectedHeader(token).typ === ACCESS_TYP;
    } catch {
      return false;
    }
  }

  private nowS(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  private async sign(claims: Record<string, unknown>, typ: string, lifetimeS: number): Promise<string> {
    const key = await this.keys.current();
    const iat = this.nowS();
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ })
      .setIssuer(this.issuer())
      .setIssuedAt(iat)
      .setExpirationTime(iat + lifetimeS)
      .sign(key.privateKey);
  }

  private async verify(token: string, typ: string, audiences: string[]): Promise<JWTPayload> {
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, (header) => this.keyFor(header.kid), {
        algorithms: ['RS256'],
        typ,
        issuer: this.issuer(),
        audience: audiences,
        currentDate: new Date(this.clock.now()),
        clockTolerance: CLOCK_SKEW_S,
        requiredClaims: ['iat', 'exp', 'sub'],
      }));
    } catch (e) {
      throw mapJoseError(e);
    }
    if ((claims.exp ?? 0) - (claims.iat ?? 0) > MAX_TOKEN_LIFETIME_S) {
      throw tokenError('TOKEN_LIFETIME_TOO_LONG', 'token lifetime is longer than one hour');
    }
    return claims;
  }

  private keyFor(kid: string | undefined): KeyObject {
    const k = kid === undefined ? undefined : this.keys.publicKey(kid);
    if (!k) throw tokenError('TOKEN_UNKNOWN_KEY', 'token was signed with an unknown key');
    return k;
  }
}

/** Maps jose's errors onto our reasons (and messages that never contain the token). */
export function mapJoseError(e: unknown): TarmacError {
  if (e instanceof TarmacError) return e;
  const err = e as { code?: string; claim?: string };
  switch (err.code) {
    case 'ERR_JWT_EXPIRED':
      return tokenError('TOKEN_EXPIRED', 'token has expired');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (err.claim === 'nbf' || err.claim === 'iat')
        return tokenError('TOKEN_NOT_YET_VALID', 'token is not yet valid');
      if (err.claim === 'aud')
        return tokenError('TOKEN_WRONG_AUDIENCE', 'token audience is not accepted here');
      if (err.claim === 'iss') return tokenError('TOKEN_WRONG_ISSUER', 'token issuer is not accepted here');
      if (err.claim === 'typ') return tokenError('TOKEN_WRONG_TYPE', 'token type is not accepted here');
      return tokenError('TOKEN_MALFORMED', `token claim ${err.claim ?? ''} is invalid`);
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return tokenError('TOKEN_BAD_SIGNATURE', 'token signature is invalid');
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return tokenError('TOKEN_ALG_NOT_ALLOWED', 'token algorithm is not allowed');
    default:
      return tokenError('TOKEN_MALFORMED', 'token is malformed');
  }
}
