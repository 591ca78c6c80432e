import { TarmacError } from '../shared/index.ts';

/**
 * The OCI distribution grammar for repository names, tags and digests. Every name that reaches
 * storage or SQLite passed these checks, so "..", "/" at the ends, or "%2e" can never form a path.
 */
const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const NAME_RE = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const COMPONENT_RE = new RegExp(`^${COMPONENT}$`);
const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST_RE = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

/** The longest repository name accepted (distribution's limit). */
export const MAX_NAME_LENGTH = 255;

export type DigestAlgorithm = 'sha256' | 'sha512';

const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };

export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  hex: string;
  /** `algorithm:hex` as given (already canonical: lowercase hex). */
  digest: string;
}

export function isValidRepositoryName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && NAME_RE.test(name);
}

export function isValidPathComponent(part: string): boolean {
  return COMPONENT_RE.test(part);
}

export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag);
}

/** True when `s` has the shape of a digest (any algorithm), whether or not it is one we support. */
export function looksLikeDigest(s: string): boolean {
  return DIGEST_RE.test(s);
}

/**
 * Parses `sha256:<64 hex>` or `sha512:<128 hex>`; anything else fails with INVALID_ARGUMENT and reason
 * DIGEST_INVALID (UNSUPPORTED_DIGEST for a well-formed digest of another algorithm).
 */
export function parseDigest(s: string): ParsedDigest {
  const m = DIGEST_RE.exec(s);
  if (!m)
    throw new TarmacError('INVALID_ARGUMENT', `invalid digest: ${clip(s)}`, { reason: 'DIGEST_INVALID' });
  const algorithm = m[1] as string;
  const hex = m[2] as string;
  if (algorithm !== 'sha256' && algorithm !== 'sha512') {
    throw new TarmacError('INVALID_ARGUMENT', `unsupported digest algorithm: ${clip(algorithm)}`, {
      reason: 'UNSUPPORTED_DIGEST',
    });
  }
  if (hex.length !== HEX_LENGTH[algorithm] || !/^[0-9a-f]+$/.test(hex)) {
    throw new TarmacError('INVALID_ARGUMENT', `invalid ${algorithm} digest: ${clip(s)}`, {
      reason: 'DIGEST_INVALID',
    });
  }
  return { algorithm, hex, digest: s };
}

/** Parses a digest or returns undefined. */
export function tryParseDigest(s: string): ParsedDigest | undefined {
  try {
    return parseDigest(s);
  } catch {
    return undefined;
  }
}

export function assertRepositoryName(name: string): void {
  if (!isValidRepositoryName(name)) {
    throw new TarmacError('INVALID_ARGUMENT', `invalid repository name: ${clip(name)}`, {
      reason: 'NAME_INVALID',
    });
  }
}

export function assertTag(tag: string): void {
  if (!isValidTag(tag)) {
    throw new TarmacError('INVALID_ARGUMENT', `invalid tag: ${clip(tag)}`, { reason: 'TAG_INVALID' });
  }
}

/** Shortens user input quoted in error messages. */
export function clip(s: string, max = 100): string {
  return s.length > max ? `${s.slice(0, max)}...` : s;
}
