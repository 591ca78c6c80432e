import { createHash, randomBytes, randomUUID } from 'node:crypto';

export const uuid = (): string => randomUUID();

/** Random lowercase letters and digits, for revision suffixes and short ids. */
export function randomSuffix(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[bytes[i]! % alphabet.length];
  return out;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A 12-digit number string that does not start with 0. */
export function randomProjectNumber(): string {
  const b = randomBytes(8).readBigUInt64BE() % 900_000_000_000n;
  return String(b + 100_000_000_000n);
}
