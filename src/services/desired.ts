import {
  TRAFFIC_LATEST,
  parseCpu,
  parseDuration,
  parseMemory,
  type Ingress,
  type RevisionRuntimeSpec,
  type RevisionTemplate,
  type RouteSpec,
  type ServiceSpec,
  type TrafficRoute,
  type TrafficTargetStatus,
} from '../model/index.ts';
import type { ProjectRef } from './deps.ts';

export interface RuntimeContext {
  project: ProjectRef;
  region: string;
  service: string;
  revision: string;
  /** The container image already mapped to a pullable reference. */
  image: string;
}

/** The project's default runtime identity. */
export const defaultServiceAccount = (project: ProjectRef): string =>
  `${project.projectNumber}-compute@developer.gserviceaccount.com`;

/** Expands $(VAR) references to earlier variables; $$(VAR) stays literal as $(VAR). */
export function expandEnv(env: { name: string; value: string }[]): { name: string; value: string }[] {
  const seen = new Map<string, string>();
  return env.map(({ name, value }) => {
    const expanded = value.replace(/\$\$\(|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m: string, ref?: string) => {
      if (m === '$$(') return '$(';
      return ref !== undefined && seen.has(ref) ? seen.get(ref)! : m;
    });
    seen.set(name, expanded);
    return { name, value: expanded };
  });
}

/** What the data plane runs for a revision: a pure function of the template (snapshot-tested). */
export function buildRuntimeSpec(ctx: RuntimeContext, t: RevisionTemplate): RevisionRuntimeSpec {
  const c = t.containers[0]!;
  const spec: RevisionRuntimeSpec = {
    name: ctx.revision,
    service: ctx.service,
    project: ctx.project.projectId,
    projectNumber: ctx.project.projectNumber,
    region: ctx.region,
    image: ctx.image,
    env: expandEnv(c.env),
    containerPort: c.ports[0]?.containerPort ?? 8080,
    memoryBytes: parseMemory(c.resources.limits.memory) ?? 512 * 1024 * 1024,
    cpu: parseCpu(c.resources.limits.cpu) ?? 1,
    timeoutSeconds: parseDuration(t.timeout) ?? 300,
    concurrency: t.maxInstanceRequestConcurrency,
    minInstances: t.scaling.minInstanceCount,
    maxInstances: t.scaling.maxInstanceCount,
    serviceAccountEmail: t.serviceAccount ?? defaultServiceAccount(ctx.project),
  };
  if (c.command) spec.command = c.command;
  if (c.args) spec.args = c.args;
  if (c.workingDir) spec.workingDir = c.workingDir;
  if (c.startupProbe) spec.startupProbe = c.startupProbe;
  if (c.livenessProbe) spec.livenessProbe = c.livenessProbe;
  return spec;
}

export const ingressMode = (i: Ingress): RouteSpec['ingress'] =>
  i === 'INGRESS_TRAFFIC_ALL' ? 'all' : i === 'INGRESS_TRAFFIC_NONE' ? 'none' : 'internal';

export interface ResolvedTraffic {
  routes: TrafficRoute[];
  statuses: TrafficTargetStatus[];
}

/**
 * Resolves traffic targets against revision readiness: LATEST goes to the newest ready revision,
 * pinned targets stay on their revision. Targets with nowhere to go are left out of the routes.
 */
export function resolveTraffic(
  spec: ServiceSpec,
  latestReady: string | undefined,
  tagUrl: (tag: string) => string,
): ResolvedTraffic {
  const routes: TrafficRoute[] = [];
  const statuses: TrafficTargetStatus[] = [];
  for (const t of spec.traffic) {
    const revision = t.type === TRAFFIC_LATEST ? latestReady : t.revision;
    const status: TrafficTargetStatus = { type: t.type, percent: t.percent };
    if (t.type !== TRAFFIC_LATEST && t.revision) status.revision = t.revision;
    if (t.tag) {
      status.tag = t.tag;
      status.uri = tagUrl(t.tag);
    }
    statuses.push(status);
    if (revision) routes.push({ revision, percent: t.percent, ...(t.tag ? { tag: t.tag } : {}) });
  }
  return { routes, statuses };
}
