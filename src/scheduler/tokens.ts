import type { TokenMinter } from '../model/index.ts';
import { TarmacError, type Clock } from '../shared/index.ts';
import { DEFAULT_SCOPE, type JobSpec } from './job.ts';

/** A cached token is renewed this long before it expires (in the background while still usable). */
const RENEW_MARGIN_MS = 5 * 60_000;
/** Below this much remaining life a cached token is not handed out any more; callers wait for a new one. */
const USABLE_MARGIN_MS = 30_000;
/** Entries kept before expired ones are swept (one per service account and audience or scope). */
const SWEEP_AT = 4096;

interface Entry {
  /** "Bearer ..." once minted. */
  value?: string;
  expiresAt: number;
  /** The minting in progress, shared by every caller that needs it. */
  pending?: Promise<string>;
}

/**
 * The jobs' bearer tokens (OIDC ID tokens or OAuth access tokens from the TokenMinter), cached per
 * (service account, audience or scope). `authorization` answers from the cache synchronously, so a run
 * prepared ahead of its instant carries its token without waiting; a token close to expiry is renewed
 * in the background while the old one is still handed out; concurrent misses share one minting
 * (10,000 jobs due at once with one account mint once).
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly minter: TokenMinter | undefined,
  ) {}

  /**
   * The Authorization header value for a target, undefined when it has no token, a Promise only when
   * a token has to be minted first. Throws (or rejects) with a TarmacError when it cannot be minted.
   */
  authorization(t: JobSpec['httpTarget']): string | undefined | Promise<string> {
    const tok = t.oidcToken ?? t.oauthToken;
    if (!tok) return undefined;
    const key = t.oidcToken
      ? `id\n${tok.serviceAccountEmail}\n${t.oidcToken.audience || t.uri}`
      : `at\n${tok.serviceAccountEmail}\n${t.oauthToken?.scope || DEFAULT_SCOPE}`;
    const now = this.clock.now();
    const hit = this.entries.get(key);
    if (hit?.value !== undefined && hit.expiresAt - RENEW_MARGIN_MS > now) return hit.value;
    if (hit?.value !== undefined && hit.expiresAt - USABLE_MARGIN_MS > now) {
      // Still good for a while: renew behind the callers' backs (a failure leaves the old one in use).
      if (!hit.pending) this.renew(key, hit, t).catch(() => undefined);
      return hit.value;
    }
    if (hit?.pending) return hit.pending;
    if (this.entries.size >= SWEEP_AT) this.sweep(now);
    const entry: Entry = { expiresAt: 0 };
    this.entries.set(key, entry);
    return this.renew(key, entry, t);
  }

  private renew(key: string, entry: Entry, t: JobSpec['httpTarget']): Promise<string> {
    const p = this.mint(t).then(
      ({ token, expiresAt }) => {
        entry.value = `Bearer ${token}`;
        entry.expiresAt = expiresAt;
        entry.pending = undefined;
        return entry.value;
      },
      (e: unknown) => {
        entry.pending = undefined;
        if (entry.value === undefined && this.entries.get(key) === entry) this.entries.delete(key);
        throw e;
      },
    );
    entry.pending = p;
    return p;
  }

  private async mint(t: JobSpec['httpTarget']): Promise<{ token: string; expiresAt: number }> {
    const minter = this.minter;
    if (!minter)
      throw new TarmacError('FAILED_PRECONDITION', 'no token minter is configured', { reason: 'NO_MINTER' });
    if (t.oidcToken) {
      const token = await minter.idToken(t.oidcToken.serviceAccountEmail, t.oidcToken.audience || t.uri, {
        includeEmail: true,
      });
      return { token, expiresAt: jwtExpiry(token) ?? this.clock.now() };
    }
    const o = t.oauthToken!;
    return minter.accessToken(o.serviceAccountEmail, (o.scope || DEFAULT_SCOPE).split(/\s+/));
  }

  private sweep(now: number): void {
    for (const [k, e] of this.entries) if (!e.pending && e.expiresAt <= now) this.entries.delete(k);
  }
}

function jwtExpiry(jwt: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      exp?: number;
    };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
