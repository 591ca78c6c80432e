import { parseDuration, type OperationOutput, type Principal, type RevisionOutput } from '../model/index.ts';
import type { OperationRecord, RevisionRecord } from '../store/index.ts';
import { TarmacError, uuid } from '../shared/index.ts';
import type { ServicesContext } from './context.ts';
import { revisionNotFound, serviceNotFound } from './context.ts';
import type { IamPolicy } from './deps.ts';
import {
  booleanParam,
  decodePageToken,
  encodePageToken,
  pageSize,
  revisionName,
  serviceName,
  type Location,
} from './names.ts';
import { renderOperation, renderRevision, renderService } from './render.ts';

const MAX_WAIT_MS = 10 * 60_000;
const DEFAULT_WAIT_MS = 60_000;

/** Revisions, operations and service IAM policies. */
export class ServiceQueries {
  constructor(
    private readonly ctx: ServicesContext,
    private readonly removeRevision: (op: OperationRecord, r: RevisionRecord) => void,
  ) {}

  async getRevision(
    principal: Principal,
    loc: Location,
    service: string,
    id: string,
  ): Promise<RevisionOutput> {
    const project = await this.ctx.access(
      principal,
      loc,
      'run.revisions.get',
      `/services/${service}/revisions/${id}`,
    );
    return renderRevision(this.findRevision(project.projectId, loc.region, service, id));
  }

  /** Revisions of one service, or of every service when `service` is `-`. */
  async listRevisions(
    principal: Principal,
    loc: Location,
    service: string,
    size?: string | null,
    token?: string | null,
    showDeleted?: string | null,
  ): Promise<{ revisions: RevisionOutput[]; nextPageToken?: string }> {
    const suffix = service === '-' ? '' : `/services/${service}`;
    const project = await this.ctx.access(principal, loc, 'run.revisions.list', suffix);
    if (service !== '-' && !this.ctx.repo.find(project.projectId, loc.region, service)) {
      throw serviceNotFound(project.projectId, loc.region, service);
    }
    const limit = pageSize(size);
    const rows = this.ctx.repo.listRevisions(
      project.projectId,
      loc.region,
      service === '-' ? undefined : service,
      decodePageToken(token),
      limit + 1,
      booleanParam('showDeleted', showDeleted),
    );
    const page = rows.slice(0, limit);
    const out: { revisions: RevisionOutput[]; nextPageToken?: string } = {
      revisions: page.map(renderRevision),
    };
    if (rows.length > limit) out.nextPageToken = encodePageToken(page[page.length - 1]!.name);
    return out;
  }

  /** Deletes a revision that serves no traffic and is not the service's latest. */
  async deleteRevision(
    principal: Principal,
    loc: Location,
    service: string,
    id: string,
    opts: { etag?: string | null; validateOnly?: boolean } = {},
  ): Promise<OperationOutput> {
    const project = await this.ctx.access(
      principal,
      loc,
      'run.revisions.delete',
      `/services/${service}/revisions/${id}`,
    );
    const r = this.findRevision(project.projectId, loc.region, service, id);
    // Already being deleted: gone as far as a second delete is concerned.
    if (r.deleteTime) throw revisionNotFound(project.projectId, loc.region, id);
    const s = this.ctx.repo.byUid(r.serviceUid)!;
    const serving =
      (s.status.appliedRoutes ?? []).some((t) => t.revision === r.name) ||
      s.spec.traffic.some((t) => t.revision === r.name);
    if (serving || s.status.latestCreatedRevision === r.name) {
      const why = serving ? 'it is serving traffic' : 'it is the latest revision of its service';
      throw new TarmacError('FAILED_PRECONDITION', `Revision '${r.name}' cannot be deleted because ${why}.`, {
        reason: 'REVISION_IN_USE',
      });
    }
    const rendered = renderRevision(r);
    if (opts.etag && opts.etag !== rendered.etag) {
      throw new TarmacError('ABORTED', `The etag ${opts.etag} does not match revision '${r.name}'.`, {
        reason: 'ETAG_MISMATCH',
      });
    }
    const op: OperationRecord = {
      id: uuid(),
      projectId: project.projectId,
      region: loc.region,
      kind: 'revision.delete',
      target: revisionName(project.projectId, loc.region, service, r.name),
      serviceUid: s.uid,
      generation: 0,
      done: Boolean(opts.validateOnly),
      result: opts.validateOnly ? { response: { ...rendered } } : {},
      createTime: this.ctx.now(),
    };
    if (opts.validateOnly) return renderOperation(op, undefined);
    const deleteTime = this.ctx.now();
    this.ctx.repo.tx(() => {
      this.ctx.ops.insert(op);
      this.ctx.repo.markRevisionDeleted(r.uid, deleteTime);
    });
    this.removeRevision(op, { ...r, deleteTime });
    return renderOperation(op, { ...rendered, deleteTime });
  }

  async getOperation(principal: Principal, loc: Location, id: string): Promise<OperationOutput> {
    const project = await this.ctx.access(principal, loc, 'run.operations.get', `/operations/${id}`);
    return this.renderOp(this.findOp(project.projectId, loc.region, id));
  }

  async listOperations(
    principal: Principal,
    loc: Location,
    size?: string | null,
    token?: string | null,
  ): Promise<{ operations: OperationOutput[]; nextPageToken?: string }> {
    const project = await this.ctx.access(principal, loc, 'run.operations.list');
    const limit = pageSize(size);
    const rows = this.ctx.ops.list(project.projectId, loc.region, decodePageToken(token), limit + 1);
    const page = rows.slice(0, limit);
    const out: { operations: OperationOutput[]; nextPageToken?: string } = {
      operations: page.map((o) => this.renderOp(o)),
    };
    if (rows.length > limit) out.nextPageToken = encodePageToken(page[page.length - 1]!.id);
    return out;
  }

  /** Waits until the operation is done or `timeout` (a Duration) passes, then returns it. */
  async waitOperation(
    principal: Principal,
    loc: Location,
    id: string,
    timeout: unknown,
  ): Promise<OperationOutput> {
    const project = await this.ctx.access(principal, loc, 'run.operations.get', `/operations/${id}`);
    let ms = DEFAULT_WAIT_MS;
    if (typeof timeout === 'string' && timeout !== '') {
      const seconds = parseDuration(timeout);
      if (seconds === undefined) {
        throw new TarmacError('INVALID_ARGUMENT', `invalid timeout ${JSON.stringify(timeout)}`, {
          reason: 'INVALID_TIMEOUT',
          fieldViolations: [{ field: 'timeout', description: 'a duration such as "30s"' }],
        });
      }
      ms = Math.min(seconds * 1000, MAX_WAIT_MS);
    }
    const op = this.findOp(project.projectId, loc.region, id);
    if (!op.done) {
      const woken = this.ctx.waiters.wait(id, ms);
      // The operation may have finished between the read and the subscription.
      if (!this.findOp(project.projectId, loc.region, id).done) await woken;
      else this.ctx.waiters.notify(id);
    }
    return this.renderOp(this.findOp(project.projectId, loc.region, id));
  }

  async deleteOperation(principal: Principal, loc: Location, id: string): Promise<Record<string, never>> {
    const project = await this.ctx.access(principal, loc, 'run.operations.delete', `/operations/${id}`);
    if (!this.ctx.ops.remove(project.projectId, loc.region, id)) throw opNotFound(id);
    return {};
  }

  async getIamPolicy(principal: Principal, loc: Location, service: string): Promise<IamPolicy> {
    const project = await this.ctx.access(
      principal,
      loc,
      'run.services.getIamPolicy',
      `/services/${service}`,
    );
    if (!this.ctx.repo.find(project.projectId, loc.region, service))
      throw serviceNotFound(project.projectId, loc.region, service);
    return this.ctx.deps.iam.getPolicy(serviceName(project.projectId, loc.region, service));
  }

  async setIamPolicy(
    principal: Principal,
    loc: Location,
    service: string,
    body: unknown,
  ): Promise<IamPolicy> {
    const project = await this.ctx.access(
      principal,
      loc,
      'run.services.setIamPolicy',
      `/services/${service}`,
    );
    if (!this.ctx.repo.find(project.projectId, loc.region, service))
      throw serviceNotFound(project.projectId, loc.region, service);
    const policy = (body as { policy?: unknown } | null)?.policy;
    if (typeof policy !== 'object' || policy === null) {
      throw new TarmacError('INVALID_ARGUMENT', 'policy is required', {
        reason: 'POLICY_REQUIRED',
        fieldViolations: [{ field: 'policy', description: 'required' }],
      });
    }
    return this.ctx.deps.iam.setPolicy(serviceName(project.projectId, loc.region, service), policy);
  }

  /** Needs no permission itself: answers which of the asked permissions the caller holds. */
  async testIamPermissions(
    principal: Principal,
    loc: Location,
    service: string,
    body: unknown,
  ): Promise<{ permissions: string[] }> {
    const asked = (body as { permissions?: unknown } | null)?.permissions;
    if (!Array.isArray(asked) || asked.some((p) => typeof p !== 'string')) {
      throw new TarmacError('INVALID_ARGUMENT', 'permissions must be a list of strings', {
        reason: 'BAD_PERMISSIONS',
        fieldViolations: [{ field: 'permissions', description: 'a list of permission names' }],
      });
    }
    const resource = `projects/${loc.project}/locations/${loc.region}/services/${service}`;
    const held = await this.ctx.deps.iam.testPermissions(principal, resource, asked as string[]);
    return held.length > 0 ? { permissions: held } : ({} as { permissions: string[] });
  }

  private findRevision(projectId: string, region: string, service: string, id: string): RevisionRecord {
    const r = this.ctx.repo.findRevision(projectId, region, id);
    if (!r || (service !== '-' && r.service !== service)) throw revisionNotFound(projectId, region, id);
    return r;
  }

  private findOp(projectId: string, region: string, id: string): OperationRecord {
    const op = this.ctx.ops.get(projectId, region, id);
    if (!op) throw opNotFound(id);
    return op;
  }

  private renderOp(op: OperationRecord): OperationOutput {
    if (op.done) return renderOperation(op, undefined);
    const s = this.ctx.repo.byUid(op.serviceUid);
    return renderOperation(op, s ? { ...renderService(s) } : undefined);
  }
}

function opNotFound(id: string): TarmacError {
  return new TarmacError('NOT_FOUND', `Operation '${id}' does not exist.`, { reason: 'OPERATION_NOT_FOUND' });
}
