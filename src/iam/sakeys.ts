import { createPublicKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { Db } from '../store/index.ts';
import { TarmacError, failedPrecondition, type Clock } from '../shared/index.ts';
import type { ServiceAccount } from './accounts.ts';

const generate = promisify(generateKeyPair);

/** Google's limit of user-managed keys per service account. */
export const MAX_KEYS_PER_ACCOUNT = 10;
const NEVER = '9999-12-31T23:59:59Z';

/** google.iam.admin.v1.ServiceAccountKey in its JSON shape. */
export interface ServiceAccountKey {
  name: string;
  privateKeyType?: string;
  keyAlgorithm: string;
  privateKeyData?: string;
  publicKeyData?: string;
  validAfterTime: string;
  validBeforeTime: string;
  keyOrigin: string;
  keyType: string;
  disabled: boolean;
}

/** The Google-format key file (`gcloud iam service-accounts keys create` writes this). */
export interface KeyFile {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
  auth_provider_x509_cert_url: string;
  client_x509_cert_url: string;
  universe_domain: string;
}

interface Row {
  key_id: string;
  sa_unique_id: string;
  public_pem: string;
  key_algorithm: string;
  key_type: string;
  disabled: number;
  valid_after: string;
  valid_before: string;
}

/**
 * User-managed service account keys. tarmac keeps only the public half; the private key leaves in the
 * create response and is never stored, as with Google.
 */
export class ServiceAccountKeyRepo {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  list(sa: ServiceAccount): ServiceAccountKey[] {
    const rows = this.db
      .prepare('SELECT * FROM iam_sa_keys WHERE sa_unique_id = ? ORDER BY valid_after')
      .all(sa.uniqueId) as Row[];
    return rows.map((r) => this.toKey(sa, r));
  }

  get(sa: ServiceAccount, keyId: string, withPublicKey = false): ServiceAccountKey {
    const row = this.row(sa, keyId);
    const key = this.toKey(sa, row);
    return withPublicKey ? { ...key, publicKeyData: Buffer.from(row.public_pem).toString('base64') } : key;
  }

  /** Creates a key pair and returns the resource with the key file in privateKeyData (base64 JSON). */
  async create(sa: ServiceAccount, endpoints: { api: string }): Promise<ServiceAccountKey> {
    if (this.list(sa).filter((k) => k.keyType === 'USER_MANAGED').length >= MAX_KEYS_PER_ACCOUNT) {
      throw new TarmacError(
        'FAILED_PRECONDITION',
        `Precondition check failed: ${sa.email} already has ${MAX_KEYS_PER_ACCOUNT} keys.`,
        {
          reason: 'KEY_LIMIT',
        },
      );
    }
    const { privateKey, publicKey } = await generate('rsa', { modulusLength: 2048 });
    const keyId = randomBytes(20).toString('hex');
    const now = new Date(this.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    this.db
      .prepare(
        `INSERT INTO iam_sa_keys (key_id, sa_unique_id, public_pem, key_algorithm, key_type, disabled, valid_after, valid_before)
         VALUES (?, ?, ?, 'KEY_ALG_RSA_2048', 'USER_MANAGED', 0, ?, ?)`,
      )
      .run(keyId, sa.uniqueId, publicKey.export({ type: 'spki', format: 'pem' }).toString(), now, NEVER);
    const api = endpoints.api.replace(/\/$/, '');
    const file: KeyFile = {
      type: 'service_account',
      project_id: sa.projectId,
      private_key_id: keyId,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: sa.email,
      client_id: sa.uniqueId,
      auth_uri: `${api}/o/oauth2/auth`,
      token_uri: `${api}/token`,
      auth_provider_x509_cert_url: `${api}/oauth2/v1/certs`,
      client_x509_cert_url: `${api}/service_accounts/v1/metadata/x509/${encodeURIComponent(sa.email)}`,
      universe_domain: 'googleapis.com',
    };
    return {
      ...this.get(sa, keyId),
      privateKeyType: 'TYPE_GOOGLE_CREDENTIALS_FILE',
      privateKeyData: Buffer.from(JSON.stringify(file, null, 2)).toString('base64'),
    };
  }

  /** Records the public half of a key tarmac holds itself (signBlob/signJwt sign with it). */
  addSystemManaged(sa: ServiceAccount, keyId: string, publicPem: string): void {
    const now = new Date(this.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    this.db
      .prepare(
        `INSERT INTO iam_sa_keys (key_id, sa_unique_id, public_pem, key_algorithm, key_type, disabled, valid_after, valid_before)
         VALUES (?, ?, ?, 'KEY_ALG_RSA_2048', 'SYSTEM_MANAGED', 0, ?, ?)`,
      )
      .run(keyId, sa.uniqueId, publicPem, now, NEVER);
  }

  /** The ids of an account's enabled system-managed keys, oldest first. */
  systemManagedIds(sa: ServiceAccount): string[] {
    const rows = this.db
      .prepare(
        "SELECT key_id FROM iam_sa_keys WHERE sa_unique_id = ? AND key_type = 'SYSTEM_MANAGED' AND disabled = 0 ORDER BY valid_after",
      )
      .all(sa.uniqueId) as { key_id: string }[];
    return rows.map((r) => r.key_id);
  }

  /** Every enabled key of an account as a JWK set (what Google publishes at service_accounts/v1/jwk). */
  jwks(sa: ServiceAccount): { keys: Record<string, string>[] } {
    const rows = this.db
      .prepare('SELECT key_id, public_pem FROM iam_sa_keys WHERE sa_unique_id = ? AND disabled = 0')
      .all(sa.uniqueId) as { key_id: string; public_pem: string }[];
    return { keys: rows.map((r) => this.jwk(r.key_id, r.public_pem)) };
  }

  delete(sa: ServiceAccount, keyId: string): void {
    this.row(sa, keyId);
    this.db.prepare('DELETE FROM iam_sa_keys WHERE key_id = ?').run(keyId);
  }

  setDisabled(sa: ServiceAccount, keyId: string, disabled: boolean): void {
    this.row(sa, keyId);
    this.db.prepare('UPDATE iam_sa_keys SET disabled = ? WHERE key_id = ?').run(disabled ? 1 : 0, keyId);
  }

  /** The public key that checks a JWT assertion signed with `keyId`, if that key is usable. */
  verificationKey(sa: ServiceAccount, keyId: string): KeyObject {
    const row = this.db
      .prepare('SELECT * FROM iam_sa_keys WHERE key_id = ? AND sa_unique_id = ?')
      .get(keyId, sa.uniqueId) as Row | undefined;
    if (!row) throw failedPrecondition('unknown key');
    if (row.disabled === 1) throw failedPrecondition('key is disabled');
    return createPublicKey(row.public_pem);
  }

  /** A public key PEM as a JWK with its key id. */
  jwk(keyId: string, pem: string): Record<string, string> {
    return {
      ...(createPublicKey(pem).export({ format: 'jwk' }) as Record<string, string>),
      kid: keyId,
      alg: 'RS256',
      use: 'sig',
    };
  }

  /** Every enabled key's public half (assertions without a `kid` are checked against each). */
  enabledKeys(sa: ServiceAccount): KeyObject[] {
    const rows = this.db
      .prepare('SELECT public_pem FROM iam_sa_keys WHERE sa_unique_id = ? AND disabled = 0')
      .all(sa.uniqueId) as { public_pem: string }[];
    return rows.map((r) => createPublicKey(r.public_pem));
  }

  private row(sa: ServiceAccount, keyId: string): Row {
    const row = this.db
      .prepare('SELECT * FROM iam_sa_keys WHERE key_id = ? AND sa_unique_id = ?')
      .get(keyId, sa.uniqueId) as Row | undefined;
    if (!row) {
      throw new TarmacError('NOT_FOUND', `Service account key ${keyId} does not exist.`, {
        reason: 'KEY_NOT_FOUND',
      });
    }
    return row;
  }

  private toKey(sa: ServiceAccount, r: Row): ServiceAccountKey {
    return {
      name: `projects/${sa.projectId}/serviceAccounts/${sa.email}/keys/${r.key_id}`,
      keyAlgorithm: r.key_algorithm,
      validAfterTime: r.valid_after,
      validBeforeTime: r.valid_before,
      keyOrigin: 'GOOGLE_PROVIDED',
      keyType: r.key_type,
      disabled: r.disabled === 1,
    };
  }
}
