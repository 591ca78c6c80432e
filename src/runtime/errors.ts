import { TarmacError, type StatusCode } from '../shared/index.ts';

/** Typed reasons of src/runtime errors; tests assert these, not message text. */
export type EngineReason =
  | 'ENGINE_UNREACHABLE'
  | 'ENGINE_PERMISSION_DENIED'
  | 'ENGINE_PROVISION_FAILED'
  | 'ENGINE_NEEDS_ROOT'
  | 'ENGINE_NO_APT'
  | 'ENGINE_NO_MEMORY_CGROUP'
  | 'IMAGE_NOT_FOUND'
  | 'CONTAINER_NOT_FOUND'
  | 'CONTAINER_CONFLICT'
  | 'PULL_FAILED'
  | 'PUSH_FAILED'
  | 'BUILD_FAILED'
  | 'BUILD_CANCELLED'
  | 'ENGINE_ERROR';

const CODES: Record<EngineReason, StatusCode> = {
  ENGINE_UNREACHABLE: 'UNAVAILABLE',
  ENGINE_PERMISSION_DENIED: 'PERMISSION_DENIED',
  ENGINE_PROVISION_FAILED: 'FAILED_PRECONDITION',
  ENGINE_NEEDS_ROOT: 'FAILED_PRECONDITION',
  ENGINE_NO_APT: 'FAILED_PRECONDITION',
  ENGINE_NO_MEMORY_CGROUP: 'FAILED_PRECONDITION',
  IMAGE_NOT_FOUND: 'NOT_FOUND',
  CONTAINER_NOT_FOUND: 'NOT_FOUND',
  CONTAINER_CONFLICT: 'ALREADY_EXISTS',
  PULL_FAILED: 'FAILED_PRECONDITION',
  PUSH_FAILED: 'FAILED_PRECONDITION',
  BUILD_FAILED: 'FAILED_PRECONDITION',
  BUILD_CANCELLED: 'CANCELLED',
  ENGINE_ERROR: 'INTERNAL',
};

export function engineError(reason: EngineReason, message: string, cause?: unknown): TarmacError {
  return new TarmacError(CODES[reason], message, { reason, cause });
}

interface HttpishError {
  statusCode?: number;
  code?: string;
  json?: { message?: string; cause?: string } | null;
  reason?: string;
  message?: string;
}

/** Message the engine gave for a failed API call (its JSON body), else the transport error. */
export function engineMessage(e: unknown): string {
  const h = e as HttpishError;
  return h.json?.message ?? h.json?.cause ?? h.message ?? String(e);
}

export function statusOf(e: unknown): number | undefined {
  return (e as HttpishError).statusCode;
}

/** Maps a dockerode failure to a TarmacError: transport errors -> ENGINE_UNREACHABLE, 404 -> `notFound`. */
export function mapEngineError(
  e: unknown,
  what: string,
  notFound: EngineReason = 'CONTAINER_NOT_FOUND',
): TarmacError {
  if (e instanceof TarmacError) return e;
  const h = e as HttpishError;
  if (h.code === 'ECONNREFUSED' || h.code === 'ENOENT' || h.code === 'ECONNRESET' || h.code === 'EPIPE') {
    return engineError('ENGINE_UNREACHABLE', `container engine unreachable (${h.code}) during ${what}`, e);
  }
  if (h.code === 'EACCES') {
    return engineError(
      'ENGINE_PERMISSION_DENIED',
      `permission denied on the engine socket during ${what}`,
      e,
    );
  }
  if (h.statusCode === 404) return engineError(notFound, `${what}: ${engineMessage(e)}`, e);
  // Podman answers 500 for a container removed while it was being looked up (list, then inspect).
  if (h.statusCode === 500 && /no such container/i.test(engineMessage(e))) {
    return engineError(notFound, `${what}: ${engineMessage(e)}`, e);
  }
  if (h.statusCode === 409) return engineError('CONTAINER_CONFLICT', `${what}: ${engineMessage(e)}`, e);
  return engineError('ENGINE_ERROR', `${what}: ${engineMessage(e)}`, e);
}
