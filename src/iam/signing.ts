import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Db } from '../store/index.ts';
import type { Clock } from '../shared/index.ts';

const generate = promisify(generateKeyPair);

/** Longest lifetime of any token tarmac signs. */
export const MAX_TOKEN_LIFETIME_S = 3600;
/** Clock skew verifiers allow; a retired key stays published this much longer than its last token. */
export const CLOCK_SKEW_S = 300;

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: Record<string, string>;
  createdAt: number;
  retiredAt: number | undefined;
}

interface Row {
  kid: string;
  public_jwk: string;
  created_at: number;
  retired_at: number | null;
}

/**
 * The issuer's RS256 key ring. Private keys live in TARMAC_HOME/keys (dir 0700, files 0600); the
 * database holds the public halves. A rotated-out key stays published until every token it signed
 * has expired, then it is deleted.
 */
export class SigningKeyRing {
  private keys: SigningKey[] = [];
  private rotating: Promise<SigningKey> | undefined;

  constructor(
    private readonly db: Db,
    private readonly dir: string,
    private readonly clock: Clock,
    private readonly rotationPeriodMs = 7 * 24 * 3600 * 1000,
  ) {}

  /** Loads stored keys; creates the first one on a fresh home. */
  async load(): Promise<void> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    const rows = this.db.prepare('SELECT * FROM iam_signing_keys ORDER BY created_at').all() as Row[];
    this.keys = [];
    for (const r of rows) {
      let pem: string;
      try {
        pem = readFileSync(this.file(r.kid), 'utf8');
      } catch {
        this.db.prepare('DELETE FROM iam_signing_keys WHERE kid = ?').run(r.kid);
        continue;
      }
      const privateKey = createPrivateKey(pem);
      this.keys.push({
        kid: r.kid,
        privateKey,
        publicKey: createPublicKey(privateKey),
        jwk: JSON.parse(r.public_jwk) as Record<string, string>,
        createdAt: r.created_at,
        retiredAt: r.retired_at ?? undefined,
      });
    }
    this.prune();
    if (!this.active()) await this.rotate();
  }

  /** The key new tokens are signed with; rotates first when it is older than the rotation period. */
  async current(): Promise<SigningKey> {
    const k = this.active();
    if (k && this.clock.now() - k.createdAt < this.rotationPeriodMs) return k;
    this.rotating ??= this.rotate().finally(() => {
      this.rotating = undefined;
    });
    return this.rotating;
  }

  /** Makes a fresh key current; the previous one is retired but stays published. */
  async rotate(): Promise<SigningKey> {
    const { privateKey, publicKey } = await generate('rsa', { modulusLength: 2048 });
    const kid = randomBytes(20).toString('hex');
    const now = this.clock.now();
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    writeFileSync(this.file(kid), pem, { mode: 0o600 });
    chmodSync(this.file(kid), 0o600);
    const jwk = {
      ...(publicKey.export({ format: 'jwk' }) as Record<string, string>),
      kid,
      alg: 'RS256',
      use: 'sig',
    };
    this.db.transaction(() => {
      this.db.prepare('UPDATE iam_signing_keys SET retired_at = ? WHERE retired_at IS NULL').run(now);
      this.db
        .prepare(
          'INSERT INTO iam_signing_keys (kid, public_jwk, created_at, retired_at) VALUES (?, ?, ?, NULL)',
        )
        .run(kid, JSON.stringify(jwk), now);
    })();
    for (const k of this.keys) k.retiredAt ??= now;
    const key: SigningKey = { kid, privateKey, publicKey, jwk, createdAt: now, retiredAt: undefined };
    this.keys.push(key);
    this.prune();
    return key;
  }

  /** Keys a verifier may still meet: the current one and retired ones whose tokens can be alive. */
  published(): SigningKey[] {
    this.prune();
    return this.keys;
  }

  /** The public key for `kid`, if it is still published. */
  publicKey(kid: string): KeyObject | undefined {
    return this.published().find((k) => k.kid === kid)?.publicKey;
  }

  jwks(): { keys: Record<string, string>[] } {
    return { keys: this.published().map((k) => k.jwk) };
  }

  private active(): SigningKey | undefined {
    return this.keys.find((k) => k.retiredAt === undefined);
  }

  private prune(): void {
    const horizon = this.clock.now() - (MAX_TOKEN_LIFETIME_S + CLOCK_SKEW_S) * 1000;
    const gone = this.keys.filter((k) => k.retiredAt !== undefined && k.retiredAt < horizon);
    for (const k of gone) {
      this.db.prepare('DELETE FROM iam_signing_keys WHERE kid = ?').run(k.kid);
      rmSync(this.file(k.kid), { force: true });
    }
    if (gone.length > 0) this.keys = this.keys.filter((k) => !gone.includes(k));
  }

  private file(kid: string): string {
    return join(this.dir, `issuer-${kid}.pem`);
  }
}
