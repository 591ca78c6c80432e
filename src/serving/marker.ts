import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { INTERNAL_MARKER_HEADER } from '../model/index.ts';

/**
 * Checks and removes the internal-traffic marker (INTERNAL_MARKER_HEADER) of a request. The header is
 * always deleted, matching or not, before the request goes anywhere, so the secret never reaches an
 * instance and a forged value is simply dropped.
 */
export function takeInternalMarker(headers: IncomingHttpHeaders, secret: Buffer | undefined): boolean {
  const v = headers[INTERNAL_MARKER_HEADER];
  if (v === undefined) return false;
  delete headers[INTERNAL_MARKER_HEADER];
  if (!secret || typeof v !== 'string') return false;
  const got = Buffer.from(v);
  return got.length === secret.length && timingSafeEqual(got, secret);
}
