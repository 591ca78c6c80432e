import { randomBytes } from 'node:crypto';
import type { Db } from '../store/index.ts';
import { sha256Hex, type Clock } from '../shared/index.ts';

const PREFIX = 'tarmac_';

/**
 * Long-lived opaque API credentials (the owner's CLI credential). Only a SHA-256 of each is stored,
 * so the database alone never yields a usable token.
 */
export class ApiTokenRepo {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  static isApiToken(token: string): boolean {
    return token.startsWith(PREFIX);
  }

  create(member: string, purpose: string): string {
    const token = PREFIX + randomBytes(32).toString('base64url');
    this.db
      .prepare('INSERT INTO iam_api_tokens (token_hash, member, purpose, created_at) VALUES (?, ?, ?, ?)')
      .run(sha256Hex(token), member, purpose, this.clock.now());
    return token;
  }

  /** The member a token belongs to, or undefined. The lookup is by hash, so timing reveals nothing about the token. */
  resolve(token: string): string | undefined {
    if (!ApiTokenRepo.isApiToken(token)) return undefined;
    const row = this.db
      .prepare('SELECT member FROM iam_api_tokens WHERE token_hash = ?')
      .get(sha256Hex(token)) as { member: string } | undefined;
    return row?.member;
  }

  revoke(token: string): void {
    this.db.prepare('DELETE FROM iam_api_tokens WHERE token_hash = ?').run(sha256Hex(token));
  }
}
