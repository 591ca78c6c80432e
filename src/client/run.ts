import { TarmacError, type StatusCode } from '../shared/index.ts';
import type { HttpClient } from './http.ts';
import type { Operation, Policy, Revision, RpcStatus, Service } from './types.ts';

export const RPC_STATUS_NAMES: Record<number, StatusCode> = {
  1: 'CANCELLED',
  2: 'UNKNOWN',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  10: 'ABORTED',
  11: 'OUT_OF_RANGE',
  12: 'UNIMPLEMENTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  16: 'UNAUTHENTICATED',
};

/** The error a finished operation carries (Operation.error is a google.rpc.Status with a numeric code). */
export function operationError(status: RpcStatus): TarmacError {
  const code = RPC_STATUS_NAMES[status.code] ?? 'UNKNOWN';
  return new TarmacError(code, status.message, { reason: 'OPERATION_FAILED', details: status.details ?? [] });
}

export interface WaitOptions {
  /** Called after each poll with the latest operation state. */
  onPoll?: (op: Operation) => void;
  intervalMs?: number;
  timeoutMs?: number;
}

/** Polls an operation until it is done; resolves with it (done, with `response` or `error`). */
export async function pollOperation<T>(
  get: (name: string) => Promise<Operation<T>>,
  op: Operation<T>,
  opts: WaitOptions = {},
): Promise<Operation<T>> {
  const interval = opts.intervalMs ?? 150;
  const deadline = Date.now() + (opts.timeoutMs ?? 15 * 60_000);
  let cur = op;
  while (!cur.done) {
    if (Date.now() > deadline) {
      throw new TarmacError('DEADLINE_EXCEEDED', `operation ${op.name} did not finish in time`, {
        reason: 'OPERATION_TIMEOUT',
      });
    }
    await new Promise((r) => setTimeout(r, interval));
    cur = await get(op.name);
    opts.onPoll?.(cur);
  }
  return cur;
}

const enc = (name: string): string => name.split('/').map(encodeURIComponent).join('/');

/** run.googleapis.com v2: services, revisions, operations and service IAM policies. */
export class RunV2Client {
  constructor(readonly http: HttpClient) {}

  static parent(project: string, region: string): string {
    return `projects/${project}/locations/${region}`;
  }

  getService(name: string): Promise<Service> {
    return this.http.get(`/v2/${enc(name)}`);
  }

  listServices(parent: string): Promise<Service[]> {
    return this.http.listAll(`/v2/${enc(parent)}/services`, 'services');
  }

  createService(
    parent: string,
    serviceId: string,
    service: Service,
    validateOnly = false,
  ): Promise<Operation<Service>> {
    return this.http.request('POST', `/v2/${enc(parent)}/services`, {
      query: { serviceId, validateOnly: validateOnly || undefined },
      body: service,
    });
  }

  updateService(
    service: Service & { name: string },
    opts: { updateMask?: string; allowMissing?: boolean; validateOnly?: boolean } = {},
  ): Promise<Operation<Service>> {
    return this.http.request('PATCH', `/v2/${enc(service.name)}`, {
      query: {
        updateMask: opts.updateMask,
        allowMissing: opts.allowMissing || undefined,
        validateOnly: opts.validateOnly || undefined,
      },
      body: service,
    });
  }

  deleteService(name: string, etag?: string): Promise<Operation<Service>> {
    return this.http.request('DELETE', `/v2/${enc(name)}`, { query: { etag } });
  }

  getIamPolicy(resource: string): Promise<Policy> {
    return this.http.get(`/v2/${enc(resource)}:getIamPolicy`);
  }

  setIamPolicy(resource: string, policy: Policy, updateMask?: string): Promise<Policy> {
    return this.http.request('POST', `/v2/${enc(resource)}:setIamPolicy`, { body: { policy, updateMask } });
  }

  testIamPermissions(resource: string, permissions: string[]): Promise<{ permissions?: string[] }> {
    return this.http.request('POST', `/v2/${enc(resource)}:testIamPermissions`, { body: { permissions } });
  }

  getRevision(name: string): Promise<Revision> {
    return this.http.get(`/v2/${enc(name)}`);
  }

  /** Revisions of one service, or of every service in the region with service `-`. */
  listRevisions(serviceName: string): Promise<Revision[]> {
    return this.http.listAll(`/v2/${enc(serviceName)}/revisions`, 'revisions');
  }

  deleteRevision(name: string, etag?: string): Promise<Operation<Revision>> {
    return this.http.request('DELETE', `/v2/${enc(name)}`, { query: { etag } });
  }

  getOperation<T = unknown>(name: string): Promise<Operation<T>> {
    return this.http.get(`/v2/${enc(name)}`);
  }

  /** Waits for an operation by polling GetOperation. */
  wait<T>(op: Operation<T>, opts?: WaitOptions): Promise<Operation<T>> {
    return pollOperation((n) => this.getOperation<T>(n), op, opts);
  }
}
