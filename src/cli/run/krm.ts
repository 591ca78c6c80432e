import type { Condition, Container, Revision, Service, TrafficTarget } from '../../client/index.ts';

/**
 * gcloud's run commands show resources in the Knative (v1) shape: `--format='value(status.url)'`,
 * `describe --format export` and `services replace` all speak it. These convert between that shape and
 * the v2 resources the API serves.
 */
export type Krm = {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown>;
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
};

const INGRESS_V1: Record<string, string> = {
  INGRESS_TRAFFIC_ALL: 'all',
  INGRESS_TRAFFIC_INTERNAL_ONLY: 'internal',
  INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER: 'internal-and-cloud-load-balancing',
  INGRESS_TRAFFIC_NONE: 'none',
};
export const INGRESS_V2: Record<string, string> = Object.fromEntries(
  Object.entries(INGRESS_V1).map(([k, v]) => [v, k]),
);

const STATUS: Record<string, string> = { CONDITION_SUCCEEDED: 'True', CONDITION_FAILED: 'False' };

/** Parts of `projects/P/locations/L/services/S[/revisions/R]`. */
export function parseName(name = ''): { project: string; region: string; service: string; revision: string } {
  const p = name.split('/');
  return { project: p[1] ?? '', region: p[3] ?? '', service: p[5] ?? '', revision: p[7] ?? '' };
}

export const shortName = (name = ''): string => name.split('/').pop() ?? '';

const seconds = (d?: string): number | undefined => (d ? Math.round(parseFloat(d)) : undefined);
const compact = <T extends Record<string, unknown>>(o: T): T =>
  Object.fromEntries(
    Object.entries(o).filter(
      ([, v]) =>
        v !== undefined &&
        !(typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0),
    ),
  ) as T;

function condition(c: Condition): Record<string, unknown> {
  return compact({
    type: c.type,
    status: STATUS[c.state ?? ''] ?? 'Unknown',
    reason: c.reason ?? c.revisionReason,
    message: c.message,
    lastTransitionTime: c.lastTransitionTime,
    severity:
      c.severity === 'ERROR'
        ? undefined
        : c.severity
          ? c.severity[0] + c.severity.slice(1).toLowerCase()
          : undefined,
  });
}

function containerV1(c: Container): Record<string, unknown> {
  return compact({
    name: c.name,
    image: c.image,
    command: c.command?.length ? c.command : undefined,
    args: c.args?.length ? c.args : undefined,
    env: c.env?.length ? c.env : undefined,
    ports: c.ports?.length ? c.ports : undefined,
    resources: c.resources?.limits ? { limits: c.resources.limits } : undefined,
    workingDir: c.workingDir,
    startupProbe: c.startupProbe,
    livenessProbe: c.livenessProbe,
  });
}

function trafficV1(t: TrafficTarget & { uri?: string }): Record<string, unknown> {
  const latest = t.type === 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST' || (!t.type && !t.revision);
  return compact({
    revisionName: latest ? undefined : t.revision ? shortName(t.revision) : undefined,
    percent: t.percent ?? 0,
    latestRevision: latest ? true : undefined,
    tag: t.tag || undefined,
    url: t.uri,
  });
}

function templateAnnotations(s: Service): Record<string, string> {
  const t = s.template ?? {};
  const c = t.containers?.[0];
  const a: Record<string, string> = { ...(t.annotations ?? {}) };
  if (t.scaling?.minInstanceCount !== undefined)
    a['autoscaling.knative.dev/minScale'] = String(t.scaling.minInstanceCount);
  if (t.scaling?.maxInstanceCount !== undefined)
    a['autoscaling.knative.dev/maxScale'] = String(t.scaling.maxInstanceCount);
  if (t.executionEnvironment)
    a['run.googleapis.com/execution-environment'] = t.executionEnvironment
      .replace('EXECUTION_ENVIRONMENT_', '')
      .toLowerCase();
  if (c?.resources?.cpuIdle === false) a['run.googleapis.com/cpu-throttling'] = 'false';
  if (c?.resources?.startupCpuBoost) a['run.googleapis.com/startup-cpu-boost'] = 'true';
  return a;
}

/** A v2 Service as gcloud shows it (serving.knative.dev/v1 Service). */
export function serviceToKrm(s: Service): Krm {
  const { project, region, service } = parseName(s.name);
  const annotations: Record<string, string> = { ...(s.annotations ?? {}) };
  if (s.ingress) annotations['run.googleapis.com/ingress'] = INGRESS_V1[s.ingress] ?? s.ingress;
  if (s.creator) annotations['serving.knative.dev/creator'] = s.creator;
  if (s.lastModifier) annotations['serving.knative.dev/lastModifier'] = s.lastModifier;
  if (s.description) annotations['run.googleapis.com/description'] = s.description;
  if (s.invokerIamDisabled) annotations['run.googleapis.com/invoker-iam-disabled'] = 'true';
  if (s.customAudiences?.length)
    annotations['run.googleapis.com/custom-audiences'] = JSON.stringify(s.customAudiences);
  if (s.launchStage && s.launchStage !== 'GA') annotations['run.googleapis.com/launch-stage'] = s.launchStage;
  const t = s.template ?? {};
  const conditions = [s.terminalCondition, ...(s.conditions ?? [])].filter((c): c is Condition =>
    Boolean(c?.type),
  );
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: compact({
      name: service,
      namespace: project,
      uid: s.uid,
      generation: s.generation !== undefined ? Number(s.generation) : undefined,
      resourceVersion: s.etag,
      creationTimestamp: s.createTime,
      labels: { ...(s.labels ?? {}), 'cloud.googleapis.com/location': region },
      annotations,
    }),
    spec: {
      template: {
        metadata: compact({
          name: t.revision || undefined,
          labels: t.labels && Object.keys(t.labels).length ? t.labels : undefined,
          annotations: templateAnnotations(s),
        }),
        spec: compact({
          containerConcurrency: t.maxInstanceRequestConcurrency,
          timeoutSeconds: seconds(t.timeout),
          serviceAccountName: t.serviceAccount,
          containers: (t.containers ?? []).map(containerV1),
        }),
      },
      traffic: (s.traffic ?? []).map(trafficV1),
    },
    status: compact({
      observedGeneration: s.observedGeneration !== undefined ? Number(s.observedGeneration) : undefined,
      conditions: conditions.map(condition),
      latestReadyRevisionName: s.latestReadyRevision ? shortName(s.latestReadyRevision) : undefined,
      latestCreatedRevisionName: s.latestCreatedRevision ? shortName(s.latestCreatedRevision) : undefined,
      url: s.uri,
      address: s.uri ? { url: s.uri } : undefined,
      traffic: (s.trafficStatuses ?? []).map(trafficV1),
    }),
  };
}

/** A v2 Revision as gcloud shows it (serving.knative.dev/v1 Revision). */
export function revisionToKrm(r: Revision, serving?: boolean): Krm {
  const { project, region, service, revision } = parseName(r.name);
  const annotations: Record<string, string> = { ...(r.annotations ?? {}) };
  if (r.scaling?.minInstanceCount !== undefined)
    annotations['autoscaling.knative.dev/minScale'] = String(r.scaling.minInstanceCount);
  if (r.scaling?.maxInstanceCount !== undefined)
    annotations['autoscaling.knative.dev/maxScale'] = String(r.scaling.maxInstanceCount);
  const conditions = (r.conditions ?? []).map(condition);
  if (serving !== undefined && !conditions.some((c) => c.type === 'Active')) {
    conditions.push({ type: 'Active', status: serving ? 'True' : 'False' });
  }
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Revision',
    metadata: compact({
      name: revision,
      namespace: project,
      uid: r.uid,
      generation: r.generation !== undefined ? Number(r.generation) : undefined,
      creationTimestamp: r.createTime,
      labels: {
        ...(r.labels ?? {}),
        'serving.knative.dev/service': service,
        'serving.knative.dev/configuration': service,
        'cloud.googleapis.com/location': region,
      },
      annotations,
    }),
    spec: compact({
      containerConcurrency: r.maxInstanceRequestConcurrency,
      timeoutSeconds: seconds(r.timeout),
      serviceAccountName: r.serviceAccount,
      containers: (r.containers ?? []).map(containerV1),
    }),
    status: compact({
      observedGeneration: r.observedGeneration !== undefined ? Number(r.observedGeneration) : undefined,
      conditions,
      logUrl: r.logUri,
    }),
  };
}

/** `--format=export`: the object without status and server-set metadata, ready for `services replace`. */
export function exportView(item: unknown): unknown {
  const k = item as Krm;
  const { uid: _u, generation: _g, resourceVersion: _r, creationTimestamp: _c, ...metadata } = k.metadata;
  return { apiVersion: k.apiVersion, kind: k.kind, metadata, spec: k.spec };
}
