import type { Principal } from '../model/index.ts';
import type { Db, OperationRecord } from '../store/index.ts';
import { OperationRepo, ServiceRepo } from '../store/index.ts';
import { TarmacError } from '../shared/index.ts';
import type { ProjectRef, ServicesDeps } from './deps.ts';
import { checkRegion, type Location } from './names.ts';
import { OpWaiters } from './waiters.ts';

/** State shared by the API-facing control plane and the reconciler. */
export class ServicesContext {
  readonly repo: ServiceRepo;
  readonly ops: OperationRepo;
  readonly waiters: OpWaiters;

  constructor(
    db: Db,
    readonly deps: ServicesDeps,
  ) {
    this.repo = new ServiceRepo(db);
    this.ops = new OperationRepo(db);
    this.waiters = new OpWaiters(deps.clock);
  }

  now(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }

  /**
   * Authorizes `permission` on `projects/P/locations/L{suffix}` and resolves the project. Authorization
   * comes first so an unknown project reads as PERMISSION_DENIED to strangers, as Google does.
   */
  async access(principal: Principal, loc: Location, permission: string, suffix = ''): Promise<ProjectRef> {
    checkRegion(loc.region);
    await this.deps.iam.authorize(
      principal,
      permission,
      `projects/${loc.project}/locations/${loc.region}${suffix}`,
    );
    const project = this.deps.iam.project(loc.project);
    if (!project) {
      throw new TarmacError('NOT_FOUND', `Project '${loc.project}' does not exist.`, {
        reason: 'PROJECT_NOT_FOUND',
      });
    }
    return project;
  }

  /** Marks an operation done and wakes whoever waits on it. */
  finishOp(op: OperationRecord, result: OperationRecord['result']): void {
    this.ops.finish(op.id, result, this.now());
    this.waiters.notify(op.id);
  }
}

export function serviceNotFound(project: string, region: string, name: string): TarmacError {
  return new TarmacError(
    'NOT_FOUND',
    `Resource '${name}' of kind 'SERVICE' in region '${region}' in project '${project}' does not exist.`,
    { reason: 'SERVICE_NOT_FOUND' },
  );
}

export function revisionNotFound(project: string, region: string, name: string): TarmacError {
  return new TarmacError(
    'NOT_FOUND',
    `Resource '${name}' of kind 'REVISION' in region '${region}' in project '${project}' does not exist.`,
    { reason: 'REVISION_NOT_FOUND' },
  );
}
