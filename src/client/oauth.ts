import { TarmacError } from '../shared/index.ts';
import type { HttpClient } from './http.ts';

export interface TokenAnswer {
  access_token?: string;
  expires_in?: number;
  token_type?: string;
  id_token?: string;
}

/** The OAuth2 token endpoint (`POST /token`, form-encoded), as Google's oauth2.googleapis.com/token. */
export class OAuthClient {
  constructor(readonly http: HttpClient) {}

  private async post(form: Record<string, string>): Promise<TokenAnswer> {
    const res = await this.http.fetch('POST', '/token', {
      body: new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const body = (await res.json().catch(() => ({}))) as TokenAnswer & {
      error?: string;
      error_description?: string;
    };
    if (!res.ok) {
      throw new TarmacError(
        res.status === 401 ? 'UNAUTHENTICATED' : 'INVALID_ARGUMENT',
        `token endpoint: ${body.error ?? res.status}${body.error_description ? `: ${body.error_description}` : ''}`,
        { reason: body.error ?? 'TOKEN_ERROR' },
      );
    }
    return body;
  }

  /** Exchanges a long-lived credential for an access token and an ID token (`audience` optional). */
  refresh(refreshToken: string, audience?: string): Promise<TokenAnswer> {
    return this.post({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      ...(audience ? { audience } : {}),
    });
  }

  /** The JWT-bearer grant: a service-account key's signed assertion for an access or ID token. */
  jwtBearer(assertion: string): Promise<TokenAnswer> {
    return this.post({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion });
  }
}
