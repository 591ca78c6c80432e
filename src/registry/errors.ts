import { TarmacError, isTarmacError, type StatusCode } from '../shared/index.ts';

/**
 * The registry's error catalog. Inside, errors are TarmacErrors whose `reason` names the case; at the
 * edge each reason becomes one of the 14 OCI error codes and an HTTP status, in the OCI envelope
 * `{"errors":[{"code","message","detail"}]}`.
 */
export type OciCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS';

interface Entry {
  code: OciCode;
  status: number;
  canonical: StatusCode;
}

/** reason -> OCI code, HTTP status and canonical code. Reasons equal to an OCI code map onto it. */
const CATALOG: Record<string, Entry> = {
  BLOB_UNKNOWN: { code: 'BLOB_UNKNOWN', status: 404, canonical: 'NOT_FOUND' },
  BLOB_UPLOAD_INVALID: { code: 'BLOB_UPLOAD_INVALID', status: 400, canonical: 'INVALID_ARGUMENT' },
  BLOB_UPLOAD_UNKNOWN: { code: 'BLOB_UPLOAD_UNKNOWN', status: 404, canonical: 'NOT_FOUND' },
  DIGEST_INVALID: { code: 'DIGEST_INVALID', status: 400, canonical: 'INVALID_ARGUMENT' },
  UNSUPPORTED_DIGEST: { code: 'UNSUPPORTED', status: 400, canonical: 'INVALID_ARGUMENT' },
  MANIFEST_BLOB_UNKNOWN: { code: 'MANIFEST_BLOB_UNKNOWN', status: 400, canonical: 'FAILED_PRECONDITION' },
  MANIFEST_INVALID: { code: 'MANIFEST_INVALID', status: 400, canonical: 'INVALID_ARGUMENT' },
  MANIFEST_TOO_LARGE: { code: 'MANIFEST_INVALID', status: 413, canonical: 'INVALID_ARGUMENT' },
  MEDIA_TYPE_UNSUPPORTED: { code: 'MANIFEST_INVALID', status: 400, canonical: 'INVALID_ARGUMENT' },
  TAG_INVALID: { code: 'MANIFEST_INVALID', status: 400, canonical: 'INVALID_ARGUMENT' },
  MANIFEST_UNKNOWN: { code: 'MANIFEST_UNKNOWN', status: 404, canonical: 'NOT_FOUND' },
  NAME_INVALID: { code: 'NAME_INVALID', status: 400, canonical: 'INVALID_ARGUMENT' },
  NAME_UNKNOWN: { code: 'NAME_UNKNOWN', status: 404, canonical: 'NOT_FOUND' },
  SIZE_INVALID: { code: 'SIZE_INVALID', status: 400, canonical: 'INVALID_ARGUMENT' },
  RANGE_INVALID: { code: 'BLOB_UPLOAD_INVALID', status: 416, canonical: 'OUT_OF_RANGE' },
  BLOB_RANGE_INVALID: { code: 'BLOB_UNKNOWN', status: 416, canonical: 'OUT_OF_RANGE' },
  UNAUTHORIZED: { code: 'UNAUTHORIZED', status: 401, canonical: 'UNAUTHENTICATED' },
  DENIED: { code: 'DENIED', status: 403, canonical: 'PERMISSION_DENIED' },
  UNSUPPORTED: { code: 'UNSUPPORTED', status: 405, canonical: 'UNIMPLEMENTED' },
  ROUTE_UNKNOWN: { code: 'UNSUPPORTED', status: 404, canonical: 'NOT_FOUND' },
  TOOMANYREQUESTS: { code: 'TOOMANYREQUESTS', status: 429, canonical: 'RESOURCE_EXHAUSTED' },
};

/** Canonical codes of errors from elsewhere (IAM, store) -> OCI. */
const BY_CANONICAL: Partial<Record<StatusCode, Entry>> = {
  UNAUTHENTICATED: CATALOG.UNAUTHORIZED,
  PERMISSION_DENIED: CATALOG.DENIED,
  RESOURCE_EXHAUSTED: CATALOG.TOOMANYREQUESTS,
};

/** A registry error: `reason` is a key of the catalog; `detail` goes into the envelope as is. */
export class RegistryError extends TarmacError {
  readonly detail: unknown;
  /** Response headers the error carries (Range and Location on a 416, Content-Range on a bad read). */
  headers: Record<string, string> = {};

  constructor(reason: keyof typeof CATALOG, message: string, detail?: unknown) {
    super(CATALOG[reason]?.canonical ?? 'INVALID_ARGUMENT', message, { reason });
    this.name = 'RegistryError';
    this.detail = detail;
  }
}

export const regError = (reason: keyof typeof CATALOG, message: string, detail?: unknown): RegistryError =>
  new RegistryError(reason, message, detail);

/** Adds response headers to a registry error (other errors pass through unchanged). */
export function withHeaders(err: unknown, headers: Record<string, string>): unknown {
  if (err instanceof RegistryError) Object.assign(err.headers, headers);
  return err;
}

export interface OciErrorBody {
  status: number;
  body: { errors: { code: OciCode; message: string; detail?: unknown }[] };
}

/** Maps any thrown value to the OCI status and envelope; undefined for an unexpected (internal) error. */
export function toOciError(err: unknown): OciErrorBody | undefined {
  if (!isTarmacError(err)) return undefined;
  const entry = CATALOG[err.reason] ?? BY_CANONICAL[err.code];
  if (!entry) {
    if (err.code === 'NOT_FOUND') return envelope(404, 'NAME_UNKNOWN', err.message);
    if (err.code === 'INTERNAL' || err.code === 'UNKNOWN' || err.code === 'UNAVAILABLE') return undefined;
    return envelope(400, 'UNSUPPORTED', err.message);
  }
  const detail = err instanceof RegistryError ? err.detail : undefined;
  return envelope(entry.status, entry.code, err.message, detail);
}

function envelope(status: number, code: OciCode, message: string, detail?: unknown): OciErrorBody {
  const e: { code: OciCode; message: string; detail?: unknown } = { code, message };
  if (detail !== undefined) e.detail = detail;
  return { status, body: { errors: [e] } };
}
