import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { invalidArgument, type Clock } from '../shared/index.ts';
import type { ServiceAccount } from './accounts.ts';
import type { ServiceAccountKeyRepo } from './sakeys.ts';

const generate = promisify(generateKeyPair);

/** Google refuses signJwt payloads whose exp is further away than this. */
const MAX_JWT_EXP_S = 12 * 3600;

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/**
 * IAM Credentials signBlob / signJwt: each service account gets a system-managed key on first use. Its
 * public half is one of the account's keys (so a signed JWT is also a valid JWT-bearer assertion, and
 * service_accounts/v1/jwk publishes it); the private half stays in a 0600 file under keys/accounts.
 */
export class AccountSigner {
  private pending = new Map<string, Promise<{ keyId: string; key: KeyObject }>>();

  constructor(
    private readonly keys: ServiceAccountKeyRepo,
    private readonly dir: string,
    private readonly clock: Clock,
  ) {}

  /** RSASSA-PKCS1-v1_5 with SHA-256 over the bytes, as Google signs blobs. */
  async signBlob(sa: ServiceAccount, payload: Buffer): Promise<{ keyId: string; signedBlob: string }> {
    const { keyId, key } = await this.key(sa);
    return { keyId, signedBlob: sign('sha256', payload, key).toString('base64') };
  }

  /** Signs a JSON claim set as an RS256 JWT; an exp is added (1 h) when missing and may not pass 12 h. */
  async signJwt(sa: ServiceAccount, payload: string): Promise<{ keyId: string; signedJwt: string }> {
    let claims: unknown;
    try {
      claims = JSON.parse(payload);
    } catch {
      claims = undefined;
    }
    if (!claims || typeof claims !== 'object' || Array.isArray(claims)) {
      throw invalidArgument('payload must be a JSON object of claims', [
        { field: 'payload', description: 'a JSON object' },
      ]);
    }
    const c = claims as Record<string, unknown>;
    const now = Math.floor(this.clock.now() / 1000);
    c.exp ??= now + 3600;
    if (typeof c.exp !== 'number' || c.exp > now + MAX_JWT_EXP_S) {
      throw invalidArgument('exp must be a number of seconds at most 12 hours from now', [
        { field: 'payload.exp', description: 'at most 12 hours in the future' },
      ]);
    }
    const { keyId, key } = await this.key(sa);
    const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: keyId }));
    const input = `${head}.${b64url(JSON.stringify(c))}`;
    return { keyId, signedJwt: `${input}.${b64url(sign('sha256', Buffer.from(input), key))}` };
  }

  private key(sa: ServiceAccount): Promise<{ keyId: string; key: KeyObject }> {
    let p = this.pending.get(sa.uniqueId);
    if (!p) {
      p = this.loadOrCreate(sa).finally(() => this.pending.delete(sa.uniqueId));
      this.pending.set(sa.uniqueId, p);
    }
    return p;
  }

  private async loadOrCreate(sa: ServiceAccount): Promise<{ keyId: string; key: KeyObject }> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    for (const keyId of this.keys.systemManagedIds(sa).reverse()) {
      const file = join(this.dir, `${keyId}.pem`);
      if (existsSync(file)) return { keyId, key: createPrivateKey(readFileSync(file, 'utf8')) };
    }
    const { privateKey } = await generate('rsa', { modulusLength: 2048 });
    const keyId = randomBytes(20).toString('hex');
    writeFileSync(join(this.dir, `${keyId}.pem`), privateKey.export({ type: 'pkcs8', format: 'pem' }), {
      mode: 0o600,
    });
    const publicPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
    this.keys.addSystemManaged(sa, keyId, publicPem);
    return { keyId, key: privateKey };
  }
}
