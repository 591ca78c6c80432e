import { isTarmacError } from '../../shared/index.ts';
import { operationError, type Operation, type Service } from '../../client/index.ts';
import type { PolicyAccess } from '../policy.ts';
import { userError, type Context } from '../core/index.ts';
import { shortName } from './krm.ts';

export const SERVICE_ID_RE = /^[a-z]([a-z0-9-]{0,47}[a-z0-9])?$/;

/** Checks a service name as Cloud Run does (letter first, lowercase/digits/hyphens, < 50, no trailing hyphen). */
export function checkServiceName(name: string): void {
  if (!SERVICE_ID_RE.test(name)) {
    throw userError(
      `Invalid service name [${name}]: use lowercase letters, digits and hyphens, start with a letter, no trailing hyphen, under 50 characters.`,
      'BAD_SERVICE_NAME',
    );
  }
}

export interface Target {
  project: string;
  region: string;
  parent: string;
  name: string;
}

export function serviceTarget(ctx: Context, service: string): Target {
  checkServiceName(service);
  const project = ctx.project();
  const region = ctx.region();
  const parent = `projects/${project}/locations/${region}`;
  return { project, region, parent, name: `${parent}/services/${service}` };
}

/** Gets a service; undefined when it does not exist. */
export async function findService(ctx: Context, name: string): Promise<Service | undefined> {
  try {
    return await ctx.client().run.getService(name);
  } catch (e) {
    if (isTarmacError(e) && e.code === 'NOT_FOUND') return undefined;
    throw e;
  }
}

/** Gets a service or fails as gcloud does: `Cannot find service [X] in region [R].` */
export async function getService(ctx: Context, t: Target): Promise<Service> {
  const s = await findService(ctx, t.name);
  if (!s) {
    const svc = shortName(t.name);
    throw userError(
      `Cannot find service [${svc}] in project [${t.project}] region [${t.region}]. List the services with \`tarmac run services list --region=${t.region}\`.`,
      'SERVICE_NOT_FOUND',
      'NOT_FOUND',
    );
  }
  return s;
}

/** Waits for an operation, moving the progress stages on from the service conditions in its metadata. */
export async function waitWithProgress(
  ctx: Context,
  op: Operation<Service>,
  progress: ReturnType<Context['progress']>,
): Promise<Service | undefined> {
  progress.set('revision', 'running');
  const onPoll = (o: Operation): void => {
    const svc = o.metadata as Service | undefined;
    // Conditions speak for this change only once the service has observed its generation.
    if (!svc || svc.observedGeneration !== svc.generation) return;
    const ok = (type: string): boolean =>
      svc.conditions?.find((x) => x.type === type)?.state === 'CONDITION_SUCCEEDED';
    if (!ok('ConfigurationsReady')) return;
    progress.set('revision', 'done');
    progress.set('traffic', ok('RoutesReady') ? 'done' : 'running');
  };
  onPoll(op);
  const done = await ctx.client().run.wait(op, { onPoll });
  if (done.error) {
    progress.finish(false, 'Deployment failed');
    throw userError(operationError(done.error).message, 'OPERATION_FAILED', operationError(done.error).code);
  }
  return done.response;
}

export const INVOKER = 'roles/run.invoker';

/** Reads and writes a service's IAM policy through the API (for the shared binding helpers). */
export function servicePolicy(ctx: Context, name: string): PolicyAccess {
  const run = ctx.client().run;
  return { get: () => run.getIamPolicy(name), set: (p) => run.setIamPolicy(name, p) };
}

/** Percent of traffic the given revision (short name) serves, from trafficStatuses (LATEST counts). */
export function servingPercent(s: Service, revision: string): number {
  const latest = shortName(s.latestReadyRevision);
  return (s.trafficStatuses ?? s.traffic ?? []).reduce((sum, t) => {
    const isLatest = t.type === 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST';
    const rev = isLatest ? latest : shortName(t.revision);
    return rev === revision ? sum + (t.percent ?? 0) : sum;
  }, 0);
}
