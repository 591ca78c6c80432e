import { parseCpu, parseDuration } from './quantity.ts';
import { parseContainer } from './run-container.ts';
import {
  INGRESS_VALUES,
  TRAFFIC_LATEST,
  TRAFFIC_REVISION,
  type Ingress,
  type RevisionTemplate,
  type ServiceSpec,
  type TrafficTarget,
} from './run-types.ts';
import { Violations, type Json } from './violations.ts';

export const DEFAULT_TIMEOUT = '300s';
export const DEFAULT_MAX_INSTANCES = 100;
const SERVICE_ID = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const REVISION_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const TAG = /^[a-z]([-a-z0-9]{0,44}[a-z0-9])?$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const RESERVED_KEY =
  /^(run\.googleapis\.com|cloud\.googleapis\.com|serving\.knative\.dev|autoscaling\.knative\.dev)\//;
const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;
const LAUNCH_STAGES = [
  'LAUNCH_STAGE_UNSPECIFIED',
  'UNIMPLEMENTED',
  'PRELAUNCH',
  'EARLY_ACCESS',
  'ALPHA',
  'BETA',
  'GA',
  'DEPRECATED',
];
const UNSUPPORTED_TEMPLATE = ['vpcAccess', 'volumes', 'encryptionKey', 'nodeSelector', 'serviceMesh'];

/** Why a service ID is invalid, or undefined when it is a valid Cloud Run service ID. */
export function serviceIdProblem(id: string): string | undefined {
  if (id === '') return 'a service ID is required';
  if (id.length >= 50) return 'must be less than 50 characters';
  if (!/^[a-z]/.test(id)) return 'must start with a lowercase letter';
  if (id.endsWith('-')) return 'must not end with a hyphen';
  if (!SERVICE_ID.test(id)) return 'may contain only lowercase letters, digits and hyphens';
  return undefined;
}

/**
 * Validates a v2 Service body and fills Cloud Run's defaults. Output-only fields are ignored.
 * Throws INVALID_ARGUMENT listing every field violation.
 */
export function parseServiceSpec(input: unknown, serviceId: string): ServiceSpec {
  const v = new Violations();
  const raw = v.obj(input, 'service') ?? {};
  const description = v.str(raw.description, 'description');
  if (description !== undefined && description.length > 512) v.add('description', 'at most 512 characters');
  const tpl = v.obj(raw.template, 'template');
  if (!tpl) v.add('template', 'a revision template is required');
  const spec: ServiceSpec = {
    labels: parseMeta(v, raw.labels, 'labels', true),
    annotations: parseMeta(v, raw.annotations, 'annotations', false),
    ingress: parseIngress(v, raw.ingress),
    launchStage: parseEnum(v, raw.launchStage, 'launchStage', LAUNCH_STAGES) ?? 'GA',
    template: parseTemplate(v, tpl ?? {}, serviceId),
    traffic: parseTraffic(v, raw.traffic, 'traffic'),
    invokerIamDisabled: v.bool(raw.invokerIamDisabled, 'invokerIamDisabled') ?? false,
    defaultUriDisabled: v.bool(raw.defaultUriDisabled, 'defaultUriDisabled') ?? false,
    customAudiences: v.strList(raw.customAudiences, 'customAudiences') ?? [],
  };
  if (spec.launchStage === 'LAUNCH_STAGE_UNSPECIFIED') spec.launchStage = 'GA';
  if (description) spec.description = description;
  if (JSON.stringify(spec.customAudiences).length > 32768)
    v.add('customAudiences', 'at most 32768 characters as JSON');
  for (const k of ['client', 'clientVersion'] as const) {
    const s = v.str(raw[k], k);
    if (s) spec[k] = s;
  }
  const scaling = v.obj(raw.scaling, 'scaling');
  if (scaling) {
    const min = v.int(scaling.minInstanceCount, 'scaling.minInstanceCount', 0, 1000);
    const mode = parseEnum(v, scaling.scalingMode, 'scaling.scalingMode', [
      'SCALING_MODE_UNSPECIFIED',
      'AUTOMATIC',
      'MANUAL',
    ]);
    if (mode === 'MANUAL') v.add('scaling.scalingMode', 'manual scaling is not supported by tarmac');
    if (min) spec.scaling = { minInstanceCount: min };
  }
  v.throwIfAny();
  return spec;
}

function parseMeta(v: Violations, raw: unknown, f: string, strict: boolean): Record<string, string> {
  const m = v.strMap(raw, f);
  for (const [k, val] of Object.entries(m)) {
    if (RESERVED_KEY.test(k)) v.add(`${f}.${k}`, `keys in the ${k.split('/')[0]} namespace are reserved`);
    else if (strict && !LABEL_KEY.test(k))
      v.add(
        `${f}.${k}`,
        'label keys are lowercase letters, digits, _ and -, up to 63, starting with a letter',
      );
    else if (strict && !LABEL_VALUE.test(val))
      v.add(`${f}.${k}`, 'label values are lowercase letters, digits, _ and -, up to 63');
  }
  return m;
}

function parseEnum(v: Violations, raw: unknown, f: string, allowed: readonly string[]): string | undefined {
  const s = v.str(raw, f);
  if (s === undefined || s === '') return undefined;
  if (!allowed.includes(s)) {
    v.add(f, `must be one of ${allowed.join(', ')}`);
    return undefined;
  }
  return s;
}

function parseIngress(v: Violations, raw: unknown): Ingress {
  const s = parseEnum(v, raw, 'ingress', ['INGRESS_TRAFFIC_UNSPECIFIED', ...INGRESS_VALUES]);
  return s === undefined || s === 'INGRESS_TRAFFIC_UNSPECIFIED' ? 'INGRESS_TRAFFIC_ALL' : (s as Ingress);
}

function parseTemplate(v: Violations, raw: Json, serviceId: string): RevisionTemplate {
  const revision = v.str(raw.revision, 'template.revision');
  if (revision) {
    if (!REVISION_NAME.test(revision))
      v.add('template.revision', 'must be a DNS label of at most 63 characters');
    else if (!revision.startsWith(`${serviceId}-`))
      v.add('template.revision', `must start with "${serviceId}-"`);
  }
  for (const k of UNSUPPORTED_TEMPLATE) {
    const x = raw[k];
    if (x !== undefined && x !== null && x !== '' && !(Array.isArray(x) && x.length === 0)) {
      v.add(`template.${k}`, 'is not supported by tarmac');
    }
  }
  const rawContainers = v.arr(raw.containers, 'template.containers');
  if (rawContainers.length === 0) v.add('template.containers', 'exactly one container is required');
  if (rawContainers.length > 10) v.add('template.containers', 'at most 10 containers');
  const withPorts = rawContainers.filter(
    (c) => Array.isArray((c as Json | null)?.ports) && ((c as Json).ports as unknown[]).length > 0,
  );
  if (rawContainers.length > 1) {
    if (withPorts.length !== 1)
      v.add('template.containers', 'exactly one container (the ingress container) must declare a port');
    else v.add('template.containers', 'sidecar containers are not supported by tarmac');
  }
  const containers = rawContainers
    .slice(0, 1)
    .map((c, i) =>
      parseContainer(v, v.obj(c, `template.containers[${i}]`) ?? {}, `template.containers[${i}]`, true),
    );
  const scaling = v.obj(raw.scaling, 'template.scaling') ?? {};
  const min = v.int(scaling.minInstanceCount, 'template.scaling.minInstanceCount', 0, 1000) ?? 0;
  const max =
    v.int(scaling.maxInstanceCount, 'template.scaling.maxInstanceCount', 0, 1000) || DEFAULT_MAX_INSTANCES;
  if (min > max) v.add('template.scaling.minInstanceCount', `must not exceed maxInstanceCount (${max})`);
  const timeout = v.str(raw.timeout, 'template.timeout') || DEFAULT_TIMEOUT;
  const seconds = parseDuration(timeout);
  if (seconds === undefined) v.add('template.timeout', 'must be a duration such as "300s"');
  else if (seconds < 1 || seconds > 3600) v.add('template.timeout', 'must be between 1s and 3600s');
  const cores = parseCpu(containers[0]?.resources.limits.cpu ?? '1') ?? 1;
  const concurrency =
    v.int(raw.maxInstanceRequestConcurrency, 'template.maxInstanceRequestConcurrency', 0, 1000) ||
    (cores < 1 ? 1 : 80);
  if (cores < 1 && concurrency > 1)
    v.add('template.maxInstanceRequestConcurrency', 'must be 1 when CPU is less than 1');
  const t: RevisionTemplate = {
    labels: parseMeta(v, raw.labels, 'template.labels', true),
    annotations: parseMeta(v, raw.annotations, 'template.annotations', false),
    scaling: { minInstanceCount: min, maxInstanceCount: max },
    timeout,
    containers,
    maxInstanceRequestConcurrency: concurrency,
  };
  if (revision) t.revision = revision;
  const sa = v.str(raw.serviceAccount, 'template.serviceAccount');
  if (sa) {
    if (!EMAIL.test(sa)) v.add('template.serviceAccount', 'must be a service account email');
    t.serviceAccount = sa;
  }
  const env = parseEnum(v, raw.executionEnvironment, 'template.executionEnvironment', [
    'EXECUTION_ENVIRONMENT_UNSPECIFIED',
    'EXECUTION_ENVIRONMENT_GEN1',
    'EXECUTION_ENVIRONMENT_GEN2',
  ]);
  if (env && env !== 'EXECUTION_ENVIRONMENT_UNSPECIFIED')
    t.executionEnvironment = env as RevisionTemplate['executionEnvironment'];
  const affinity = v.bool(raw.sessionAffinity, 'template.sessionAffinity');
  if (affinity) t.sessionAffinity = true;
  return t;
}

/** Parses `traffic[]`; an empty list means 100 % to the latest ready revision. */
export function parseTraffic(v: Violations, raw: unknown, f: string): TrafficTarget[] {
  const list = v.arr(raw, f);
  if (list.length === 0) return [{ type: TRAFFIC_LATEST, percent: 100 }];
  const tags = new Set<string>();
  let sum = 0;
  const out = list.map((x, i) => {
    const t = v.obj(x, `${f}[${i}]`) ?? {};
    const revision = v.str(t.revision, `${f}[${i}].revision`) || undefined;
    const typeRaw = parseEnum(v, t.type, `${f}[${i}].type`, [
      'TRAFFIC_TARGET_ALLOCATION_TYPE_UNSPECIFIED',
      TRAFFIC_LATEST,
      TRAFFIC_REVISION,
    ]);
    const type =
      typeRaw === TRAFFIC_LATEST || typeRaw === TRAFFIC_REVISION
        ? typeRaw
        : revision
          ? TRAFFIC_REVISION
          : TRAFFIC_LATEST;
    if (type === TRAFFIC_REVISION && !revision)
      v.add(`${f}[${i}].revision`, 'a revision is required for a REVISION traffic target');
    if (type === TRAFFIC_LATEST && revision)
      v.add(`${f}[${i}].revision`, 'must be empty for a LATEST traffic target');
    const percent = v.int(t.percent, `${f}[${i}].percent`, 0, 100) ?? 0;
    sum += percent;
    const tag = v.str(t.tag, `${f}[${i}].tag`) || undefined;
    if (tag !== undefined) {
      if (!TAG.test(tag))
        v.add(
          `${f}[${i}].tag`,
          'must be lowercase letters, digits and hyphens, starting with a letter, up to 46',
        );
      if (tags.has(tag)) v.add(`${f}[${i}].tag`, `duplicate tag ${tag}`);
      tags.add(tag);
    }
    const out: TrafficTarget = { type, percent };
    if (revision) out.revision = revision;
    if (tag) out.tag = tag;
    return out;
  });
  if (sum !== 100) v.add(f, `traffic percentages must add up to 100, got ${sum}`);
  return out;
}
