/**
 * One error base for the whole project. `code` is a google.rpc canonical status name, which the API
 * edge maps to HTTP; `reason` is a subsystem's own typed string code that tests assert on.
 */
export type StatusCode =
  | 'INVALID_ARGUMENT'
  | 'FAILED_PRECONDITION'
  | 'OUT_OF_RANGE'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'ABORTED'
  | 'RESOURCE_EXHAUSTED'
  | 'CANCELLED'
  | 'DEADLINE_EXCEEDED'
  | 'UNIMPLEMENTED'
  | 'UNAVAILABLE'
  | 'INTERNAL'
  | 'UNKNOWN';

export interface FieldViolation {
  field: string;
  description: string;
}

export interface ErrorOptions {
  reason?: string;
  fieldViolations?: FieldViolation[];
  cause?: unknown;
  /** Extra google.rpc details, already in their JSON shape. */
  details?: Record<string, unknown>[];
}

export class TarmacError extends Error {
  readonly code: StatusCode;
  readonly reason: string;
  readonly fieldViolations: FieldViolation[];
  readonly details: Record<string, unknown>[];

  constructor(code: StatusCode, message: string, opts: ErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TarmacError';
    this.code = code;
    this.reason = opts.reason ?? code;
    this.fieldViolations = opts.fieldViolations ?? [];
    this.details = opts.details ?? [];
  }
}

/** Canonical code -> HTTP status, as Google APIs map them. */
export const HTTP_STATUS: Record<StatusCode, number> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  ABORTED: 409,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  DEADLINE_EXCEEDED: 504,
  UNIMPLEMENTED: 501,
  UNAVAILABLE: 503,
  INTERNAL: 500,
  UNKNOWN: 500,
};

/** Numeric google.rpc.Code values, used in Operation.error and status bodies. */
export const RPC_CODE: Record<StatusCode, number> = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
};

/** The google.rpc.Status JSON body for an error: `{error:{code,message,status,details}}`. */
export function toRpcStatus(err: TarmacError): {
  code: number;
  message: string;
  status: StatusCode;
  details: Record<string, unknown>[];
} {
  const details = [...err.details];
  if (err.fieldViolations.length > 0) {
    details.push({
      '@type': 'type.googleapis.com/google.rpc.BadRequest',
      fieldViolations: err.fieldViolations,
    });
  }
  return { code: HTTP_STATUS[err.code], message: err.message, status: err.code, details };
}

export function isTarmacError(e: unknown): e is TarmacError {
  return e instanceof TarmacError;
}

export const invalidArgument = (message: string, fieldViolations: FieldViolation[] = []): TarmacError =>
  new TarmacError('INVALID_ARGUMENT', message, { fieldViolations });
export const notFound = (message: string): TarmacError => new TarmacError('NOT_FOUND', message);
export const alreadyExists = (message: string): TarmacError => new TarmacError('ALREADY_EXISTS', message);
export const failedPrecondition = (message: string): TarmacError =>
  new TarmacError('FAILED_PRECONDITION', message);
export const permissionDenied = (message: string): TarmacError =>
  new TarmacError('PERMISSION_DENIED', message);
export const unauthenticated = (message: string): TarmacError => new TarmacError('UNAUTHENTICATED', message);
