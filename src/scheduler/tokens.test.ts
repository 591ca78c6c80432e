import { describe, expect, it } from 'vitest';
import type { TokenMinter } from '../model/index.ts';
import { FakeClock, TarmacError } from '../shared/index.ts';
import type { JobSpec } from './job.ts';
import { TokenCache } from './tokens.ts';

type Target = JobSpec['httpTarget'];
const SA = 'runner@p.iam.gserviceaccount.com';
const HOUR = 3_600_000;

/** A minter whose mintings the test settles by hand; tokens are unsigned JWTs with `exp`. */
function minter(clock: FakeClock) {
  const calls: { kind: string; who: string; what: string; settle: (ok: boolean) => void }[] = [];
  let n = 0;
  const jwt = (aud: string): string => {
    const payload = { aud, exp: Math.floor((clock.now() + HOUR) / 1000), n: ++n };
    return `e30.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.sig`;
  };
  const m: TokenMinter = {
    idToken: (who, aud) =>
      new Promise((resolve, reject) =>
        calls.push({
          kind: 'id',
          who,
          what: aud,
          settle: (ok) => (ok ? resolve(jwt(aud)) : reject(new Error('mint failed'))),
        }),
      ),
    accessToken: (who, scopes) =>
      new Promise((resolve, reject) =>
        calls.push({
          kind: 'at',
          who,
          what: scopes.join(' '),
          settle: (ok) =>
            ok
              ? resolve({ token: `ya29.${++n}`, expiresAt: clock.now() + HOUR })
              : reject(new Error('mint failed')),
        }),
      ),
  };
  return { m, calls };
}

const oidc = (audience?: string): Target => ({
  uri: 'https://svc.example/run',
  httpMethod: 'POST',
  headers: {},
  oidcToken: { serviceAccountEmail: SA, ...(audience ? { audience } : {}) },
});

function aud(bearer: string): string {
  const payload = JSON.parse(Buffer.from(bearer.split('.')[1]!, 'base64url').toString()) as { aud: string };
  return payload.aud;
}

/** A cache holding one freshly minted OIDC token (`old`), and its minter's calls. */
async function withToken() {
  const clock = new FakeClock();
  const { m, calls } = minter(clock);
  const cache = new TokenCache(clock, m);
  const first = cache.authorization(oidc());
  calls[0]!.settle(true);
  return { clock, calls, cache, old: await first };
}

describe('TokenCache', () => {
  it('gives no header to a target without a token', () => {
    const clock = new FakeClock();
    const cache = new TokenCache(clock, minter(clock).m);
    expect(cache.authorization({ uri: 'https://x/', httpMethod: 'GET', headers: {} })).toBeUndefined();
  });

  it('shares one minting among concurrent misses, then answers synchronously', async () => {
    const clock = new FakeClock();
    const { m, calls } = minter(clock);
    const cache = new TokenCache(clock, m);
    const a = cache.authorization(oidc());
    const b = cache.authorization(oidc());
    expect(a).toBeInstanceOf(Promise);
    expect(b).toBe(a);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ kind: 'id', who: SA, what: 'https://svc.example/run' });
    calls[0]!.settle(true);
    const bearer = await a;
    expect(bearer).toMatch(/^Bearer e30\./);
    expect(cache.authorization(oidc())).toBe(bearer);
    expect(calls).toHaveLength(1);
  });

  it('keeps one entry per audience and per scope', async () => {
    const clock = new FakeClock();
    const { m, calls } = minter(clock);
    const cache = new TokenCache(clock, m);
    const one = cache.authorization(oidc('https://a/'));
    const two = cache.authorization(oidc('https://b/'));
    const at = cache.authorization({
      ...oidc(),
      oidcToken: undefined,
      oauthToken: { serviceAccountEmail: SA },
    });
    expect(calls.map((c) => `${c.kind} ${c.what}`)).toEqual([
      'id https://a/',
      'id https://b/',
      'at https://www.googleapis.com/auth/cloud-platform',
    ]);
    for (const c of calls) c.settle(true);
    expect(aud((await one)!)).toBe('https://a/');
    expect(aud((await two)!)).toBe('https://b/');
    expect(await at).toMatch(/^Bearer ya29\./);
  });

  it('renews a token near expiry in the background while still handing out the old one', async () => {
    const { clock, calls, cache, old } = await withToken();
    clock.advance(HOUR - 4 * 60_000); // inside the 5-minute renewal margin
    expect(cache.authorization(oidc())).toBe(old);
    expect(cache.authorization(oidc())).toBe(old);
    expect(calls).toHaveLength(2); // one renewal for both callers
    calls[1]!.settle(true);
    await Promise.resolve();
    await Promise.resolve();
    const renewed = cache.authorization(oidc());
    expect(typeof renewed).toBe('string');
    expect(renewed).not.toBe(old);
  });

  it('makes callers wait once the cached token is about to expire', async () => {
    const { clock, calls, cache, old } = await withToken();
    clock.advance(HOUR - 10_000); // under the 30 s usable margin
    const wait = cache.authorization(oidc());
    expect(wait).toBeInstanceOf(Promise);
    calls[1]!.settle(true);
    expect(await wait).not.toBe(old);
  });

  it('forgets a failed minting, so the next caller tries again', async () => {
    const clock = new FakeClock();
    const { m, calls } = minter(clock);
    const cache = new TokenCache(clock, m);
    const p = cache.authorization(oidc());
    calls[0]!.settle(false);
    await expect(p).rejects.toThrow('mint failed');
    const again = cache.authorization(oidc());
    expect(again).toBeInstanceOf(Promise);
    expect(calls).toHaveLength(2);
    calls[1]!.settle(true);
    await expect(again).resolves.toMatch(/^Bearer /);
  });

  it('fails with NO_MINTER when tarmac has no minter', async () => {
    const cache = new TokenCache(new FakeClock(), undefined);
    const err = await Promise.resolve(cache.authorization(oidc())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TarmacError);
    expect(err).toMatchObject({ code: 'FAILED_PRECONDITION', reason: 'NO_MINTER' });
  });
});
