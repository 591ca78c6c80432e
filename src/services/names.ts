import { TarmacError, randomSuffix } from '../shared/index.ts';

export interface Location {
  /** As written in the request: a project ID or number. */
  project: string;
  region: string;
}

const REGION = /^[a-z]+-[a-z]+[0-9]+$/;

/** Checks a location segment; `-` (all locations) is not allowed for Cloud Run collections. */
export function checkRegion(region: string): void {
  if (region === '-') {
    throw new TarmacError('INVALID_ARGUMENT', 'location must be a region, not "-"', {
      reason: 'LOCATION_WILDCARD',
      fieldViolations: [{ field: 'parent', description: 'a region such as us-central1' }],
    });
  }
  if (!REGION.test(region)) {
    throw new TarmacError('INVALID_ARGUMENT', `invalid location ${JSON.stringify(region)}`, {
      reason: 'INVALID_LOCATION',
      fieldViolations: [{ field: 'parent', description: 'a region such as us-central1' }],
    });
  }
}

export const parentName = (projectId: string, region: string): string =>
  `projects/${projectId}/locations/${region}`;
export const serviceName = (projectId: string, region: string, service: string): string =>
  `${parentName(projectId, region)}/services/${service}`;
export const revisionName = (projectId: string, region: string, service: string, revision: string): string =>
  `${serviceName(projectId, region, service)}/revisions/${revision}`;
export const operationName = (projectId: string, region: string, id: string): string =>
  `${parentName(projectId, region)}/operations/${id}`;

/** An automatic revision id: SERVICE-00001-abc (5-digit sequence, 3 random characters). */
export function autoRevisionId(service: string, seq: number): string {
  return `${service}-${String(seq).padStart(5, '0')}-${randomSuffix(3)}`;
}

/** Opaque page tokens: the last name of the previous page. */
export function encodePageToken(after: string): string {
  return Buffer.from(JSON.stringify({ a: after })).toString('base64url');
}

export function decodePageToken(token: string | null | undefined): string {
  if (!token) return '';
  try {
    const o = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { a?: unknown };
    if (typeof o.a === 'string') return o.a;
  } catch {
    // fall through
  }
  throw new TarmacError('INVALID_ARGUMENT', 'invalid page token', {
    reason: 'INVALID_PAGE_TOKEN',
    fieldViolations: [{ field: 'pageToken', description: 'not a token from a previous response' }],
  });
}

/** pageSize: 0 or absent means the default; negative is invalid; large values are capped. */
export function pageSize(raw: string | null | undefined, dflt = 100, max = 1000): number {
  if (raw === null || raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    throw new TarmacError('INVALID_ARGUMENT', 'pageSize must be a non-negative integer', {
      reason: 'INVALID_PAGE_SIZE',
      fieldViolations: [{ field: 'pageSize', description: 'a non-negative integer' }],
    });
  }
  return n === 0 ? dflt : Math.min(n, max);
}

/** A boolean query parameter: absent or empty is false; anything but true/false is INVALID_ARGUMENT. */
export function booleanParam(field: string, raw: string | null | undefined): boolean {
  if (raw === null || raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new TarmacError('INVALID_ARGUMENT', `${field} must be true or false`, {
    reason: 'INVALID_PARAMETER',
    fieldViolations: [{ field, description: 'true or false' }],
  });
}
