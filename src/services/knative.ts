import {
  TRAFFIC_LATEST,
  parseDuration,
  type Condition,
  type Container,
  type Ingress,
  type ServiceOutput,
} from '../model/index.ts';

type Obj = Record<string, unknown>;

/** The v1 (Knative serving.knative.dev/v1) view of services, as `describe --format export` shows it. */
const INGRESS_V1: Record<Ingress, string> = {
  INGRESS_TRAFFIC_ALL: 'all',
  INGRESS_TRAFFIC_INTERNAL_ONLY: 'internal',
  INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER: 'internal-and-cloud-load-balancing',
  INGRESS_TRAFFIC_NONE: 'none',
};
const ENV_V1: Record<string, string> = {
  EXECUTION_ENVIRONMENT_GEN1: 'gen1',
  EXECUTION_ENVIRONMENT_GEN2: 'gen2',
};
const A = {
  ingress: 'run.googleapis.com/ingress',
  ingressStatus: 'run.googleapis.com/ingress-status',
  launchStage: 'run.googleapis.com/launch-stage',
  audiences: 'run.googleapis.com/custom-audiences',
  invokerIamDisabled: 'run.googleapis.com/invoker-iam-disabled',
  defaultUrlDisabled: 'run.googleapis.com/default-url-disabled',
  description: 'run.googleapis.com/description',
  serviceMinScale: 'run.googleapis.com/minScale',
  creator: 'serving.knative.dev/creator',
  lastModifier: 'serving.knative.dev/lastModifier',
  minScale: 'autoscaling.knative.dev/minScale',
  maxScale: 'autoscaling.knative.dev/maxScale',
  execEnv: 'run.googleapis.com/execution-environment',
  cpuThrottling: 'run.googleapis.com/cpu-throttling',
  cpuBoost: 'run.googleapis.com/startup-cpu-boost',
  affinity: 'run.googleapis.com/sessionAffinity',
  location: 'cloud.googleapis.com/location',
};
const SYSTEM_KEY =
  /^(run\.googleapis\.com|cloud\.googleapis\.com|serving\.knative\.dev|autoscaling\.knative\.dev)\//;

const v1Status = (c: Condition): string =>
  c.state === 'CONDITION_SUCCEEDED' ? 'True' : c.state === 'CONDITION_FAILED' ? 'False' : 'Unknown';

function v1Condition(type: string, c: Condition | undefined): Obj {
  const out: Obj = { type, status: c ? v1Status(c) : 'Unknown' };
  if (c?.reason ?? c?.revisionReason) out.reason = c.reason ?? c.revisionReason;
  if (c?.message) out.message = c.message;
  if (c?.lastTransitionTime) out.lastTransitionTime = c.lastTransitionTime;
  return out;
}

/** resourceVersion is the etag without its quotes. */
export const resourceVersionOf = (etag: string): string => etag.replace(/^"|"$/g, '');

/** Renders a v2 Service as a Knative Service object. */
export function toKnative(s: ServiceOutput, projectNumber: string, region: string): Obj {
  const id = s.name.split('/').pop()!;
  const t = s.template;
  const c = t.containers[0]!;
  const ann: Record<string, string> = {
    ...s.annotations,
    [A.creator]: s.creator,
    [A.lastModifier]: s.lastModifier,
  };
  ann[A.ingress] = INGRESS_V1[s.ingress];
  ann[A.ingressStatus] = INGRESS_V1[s.ingress];
  if (s.launchStage !== 'GA') ann[A.launchStage] = s.launchStage;
  if (s.customAudiences.length > 0) ann[A.audiences] = JSON.stringify(s.customAudiences);
  if (s.invokerIamDisabled) ann[A.invokerIamDisabled] = 'true';
  if (s.defaultUriDisabled) ann[A.defaultUrlDisabled] = 'true';
  if (s.description) ann[A.description] = s.description;
  if (s.scaling?.minInstanceCount) ann[A.serviceMinScale] = String(s.scaling.minInstanceCount);
  const tAnn: Record<string, string> = { ...t.annotations, [A.maxScale]: String(t.scaling.maxInstanceCount) };
  if (t.scaling.minInstanceCount > 0) tAnn[A.minScale] = String(t.scaling.minInstanceCount);
  if (t.executionEnvironment) tAnn[A.execEnv] = ENV_V1[t.executionEnvironment]!;
  tAnn[A.cpuThrottling] = String(c.resources.cpuIdle);
  if (c.resources.startupCpuBoost !== undefined) tAnn[A.cpuBoost] = String(c.resources.startupCpuBoost);
  if (t.sessionAffinity) tAnn[A.affinity] = 'true';
  const container: Obj = {
    image: c.image,
    ports: c.ports,
    env: c.env,
    resources: { limits: c.resources.limits },
  };
  for (const k of ['name', 'command', 'args', 'workingDir', 'startupProbe', 'livenessProbe'] as const)
    if (c[k] !== undefined) container[k] = c[k];
  const ready = s.terminalCondition;
  const cond = (type: string): Condition | undefined => s.conditions.find((x) => x.type === type);
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: {
      name: id,
      namespace: projectNumber,
      selfLink: `/apis/serving.knative.dev/v1/namespaces/${projectNumber}/services/${id}`,
      uid: s.uid,
      resourceVersion: resourceVersionOf(s.etag),
      generation: Number(s.generation),
      creationTimestamp: s.createTime,
      labels: { ...s.labels, [A.location]: region },
      annotations: ann,
    },
    spec: {
      template: {
        metadata: {
          ...(t.revision ? { name: t.revision } : {}),
          ...(Object.keys(t.labels).length ? { labels: t.labels } : {}),
          annotations: tAnn,
        },
        spec: {
          containerConcurrency: t.maxInstanceRequestConcurrency,
          timeoutSeconds: Math.round(parseDuration(t.timeout) ?? 300),
          ...(t.serviceAccount ? { serviceAccountName: t.serviceAccount } : {}),
          containers: [container],
        },
      },
      traffic: s.traffic.map((x) => ({
        percent: x.percent,
        ...(x.type === TRAFFIC_LATEST ? { latestRevision: true } : { revisionName: x.revision }),
        ...(x.tag ? { tag: x.tag } : {}),
      })),
    },
    status: {
      observedGeneration: Number(s.observedGeneration),
      conditions: [
        v1Condition('Ready', ready),
        v1Condition('ConfigurationsReady', cond('ConfigurationsReady')),
        v1Condition('RoutesReady', cond('RoutesReady')),
      ],
      ...(s.latestReadyRevision ? { latestReadyRevisionName: s.latestReadyRevision.split('/').pop() } : {}),
      ...(s.latestCreatedRevision
        ? { latestCreatedRevisionName: s.latestCreatedRevision.split('/').pop() }
        : {}),
      ...(s.uri ? { url: s.uri, address: { url: s.uri } } : {}),
      traffic: s.trafficStatuses.map((x) => ({
        ...(x.revision ? { revisionName: x.revision } : {}),
        percent: x.percent,
        ...(x.type === TRAFFIC_LATEST ? { latestRevision: true } : {}),
        ...(x.tag ? { tag: x.tag, ...(x.uri ? { url: x.uri } : {}) } : {}),
      })),
    },
  };
}

const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const strMap = (v: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(obj(v)).filter((e): e is [string, string] => typeof e[1] === 'string'));
const userKeys = (m: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(m).filter(([k]) => !SYSTEM_KEY.test(k)));
const int = (v: string | undefined): number | undefined =>
  v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;

export interface KnativeInput {
  name: string;
  region?: string;
  resourceVersion?: string;
  /** The equivalent v2 Service body (validated later like any v2 request). */
  body: Obj;
}

/** Reads a Knative Service object (a `replace FILE.yaml` body) into a v2 Service body. */
export function fromKnative(input: unknown): KnativeInput {
  const o = obj(input);
  const meta = obj(o.metadata);
  const ann = strMap(meta.annotations);
  const labels = strMap(meta.labels);
  const tpl = obj(obj(o.spec).template);
  const tMeta = obj(tpl.metadata);
  const tAnn = strMap(tMeta.annotations);
  const tSpec = obj(tpl.spec);
  const containers = (Array.isArray(tSpec.containers) ? tSpec.containers : []).map((c) =>
    fromContainer(obj(c), tAnn),
  );
  const ingress = Object.entries(INGRESS_V1).find(([, v]) => v === ann[A.ingress])?.[0];
  const template: Obj = {
    labels: tMeta.labels ?? {},
    annotations: userKeys(tAnn),
    containers,
    scaling: { minInstanceCount: int(tAnn[A.minScale]) ?? 0, maxInstanceCount: int(tAnn[A.maxScale]) ?? 0 },
  };
  if (typeof tMeta.name === 'string' && tMeta.name !== '') template.revision = tMeta.name;
  if (tSpec.containerConcurrency !== undefined)
    template.maxInstanceRequestConcurrency = tSpec.containerConcurrency;
  if (typeof tSpec.timeoutSeconds === 'number') template.timeout = `${tSpec.timeoutSeconds}s`;
  if (tSpec.serviceAccountName) template.serviceAccount = tSpec.serviceAccountName;
  const env = Object.entries(ENV_V1).find(([, v]) => v === tAnn[A.execEnv])?.[0];
  if (env) template.executionEnvironment = env;
  if (tAnn[A.affinity] === 'true') template.sessionAffinity = true;
  const body: Obj = {
    labels: Object.fromEntries(Object.entries(labels).filter(([k]) => k !== A.location)),
    annotations: userKeys(ann),
    template,
    traffic: (Array.isArray(obj(o.spec).traffic) ? (obj(o.spec).traffic as unknown[]) : []).map((x) => {
      const t = obj(x);
      return {
        type: t.latestRevision === true ? TRAFFIC_LATEST : 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION',
        ...(t.revisionName ? { revision: t.revisionName } : {}),
        percent: t.percent ?? 0,
        ...(t.tag ? { tag: t.tag } : {}),
      };
    }),
    invokerIamDisabled: ann[A.invokerIamDisabled] === 'true',
    defaultUriDisabled: ann[A.defaultUrlDisabled] === 'true',
  };
  if (ingress) body.ingress = ingress;
  if (ann[A.launchStage]) body.launchStage = ann[A.launchStage];
  if (ann[A.description]) body.description = ann[A.description];
  const audiences = ann[A.audiences];
  if (audiences) body.customAudiences = parseAudiences(audiences);
  if (int(ann[A.serviceMinScale])) body.scaling = { minInstanceCount: int(ann[A.serviceMinScale]) };
  const out: KnativeInput = { name: typeof meta.name === 'string' ? meta.name : '', body };
  if (labels[A.location]) out.region = labels[A.location];
  if (typeof meta.resourceVersion === 'string' && meta.resourceVersion !== '')
    out.resourceVersion = meta.resourceVersion;
  return out;
}

function parseAudiences(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text; // rejected by validation as "must be a list"
  }
}

function fromContainer(c: Obj, tAnn: Record<string, string>): Obj {
  const out: Obj = { ...c };
  const resources = obj(c.resources);
  out.resources = {
    limits: resources.limits ?? {},
    cpuIdle: tAnn[A.cpuThrottling] !== 'false',
    ...(tAnn[A.cpuBoost] !== undefined ? { startupCpuBoost: tAnn[A.cpuBoost] === 'true' } : {}),
  };
  if (Array.isArray(c.env)) {
    out.env = c.env.map((e) => {
      const x = obj(e);
      return x.valueFrom !== undefined
        ? { name: x.name, valueSource: x.valueFrom }
        : { name: x.name, value: x.value ?? '' };
    });
  }
  return out as Partial<Container> as Obj;
}
