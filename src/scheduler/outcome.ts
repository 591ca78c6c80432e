import type { StatusCode } from '../shared/index.ts';

/** How an attempt ended: its result code (OK, DEADLINE_EXCEEDED, ...), HTTP status and timing. */
export interface AttemptOutcome {
  ok: boolean;
  httpStatus?: number;
  code: StatusCode | 'OK';
  message: string;
  start: number;
  end: number;
  latencyMs: number;
}

/** Google's mapping of an HTTP status onto a canonical code, for a job's status and history. */
export function codeOfHttp(status: number): StatusCode {
  const known: Record<number, StatusCode> = {
    400: 'INVALID_ARGUMENT',
    401: 'UNAUTHENTICATED',
    403: 'PERMISSION_DENIED',
    404: 'NOT_FOUND',
    409: 'ABORTED',
    412: 'FAILED_PRECONDITION',
    416: 'OUT_OF_RANGE',
    429: 'RESOURCE_EXHAUSTED',
    499: 'CANCELLED',
    501: 'UNIMPLEMENTED',
    503: 'UNAVAILABLE',
    504: 'DEADLINE_EXCEEDED',
  };
  if (known[status]) return known[status];
  if (status >= 400 && status < 500) return 'FAILED_PRECONDITION';
  if (status >= 500) return 'INTERNAL';
  return 'UNKNOWN';
}
