import {
  REVISION_TYPE,
  SERVICE_TYPE,
  type Condition,
  type ConditionState,
  type OperationOutput,
  type RevisionOutput,
  type ServiceOutput,
} from '../model/index.ts';
import type { OperationRecord, RevisionRecord, ServiceRecord } from '../store/index.ts';
import { sha256Hex } from '../shared/index.ts';
import { operationName, revisionName, serviceName } from './names.ts';

export function condition(
  type: string,
  state: ConditionState,
  time: string,
  extra: Partial<Condition> = {},
): Condition {
  return { type, state, lastTransitionTime: time, ...extra };
}

/** An opaque fingerprint of a resource version, as Cloud Run's etags are. */
export function makeEtag(...parts: (string | number)[]): string {
  return `"${Buffer.from(sha256Hex(parts.join('\u0000')).slice(0, 24), 'hex').toString('base64')}"`;
}

/** The v2 Service JSON. */
export function renderService(s: ServiceRecord): ServiceOutput {
  const { status, spec } = s;
  const rev = (r: string | undefined): string | undefined =>
    r ? revisionName(s.projectId, s.region, s.name, r) : undefined;
  const out: ServiceOutput = {
    name: serviceName(s.projectId, s.region, s.name),
    uid: s.uid,
    generation: String(s.generation),
    ...spec,
    createTime: s.createTime,
    updateTime: s.updateTime,
    creator: s.creator,
    lastModifier: s.lastModifier,
    observedGeneration: String(status.observedGeneration),
    terminalCondition: status.terminalCondition,
    conditions: status.conditions,
    trafficStatuses: status.trafficStatuses,
    urls: spec.defaultUriDisabled ? [] : status.urls,
    reconciling: status.reconciling,
    etag: s.etag,
  };
  const created = rev(status.latestCreatedRevision);
  const ready = rev(status.latestReadyRevision);
  if (created) out.latestCreatedRevision = created;
  if (ready) out.latestReadyRevision = ready;
  if (status.uri && !spec.defaultUriDisabled) out.uri = status.uri;
  return out;
}

/** A revision's conditions from its state: Ready plus ContainerHealthy. */
export function revisionConditions(r: RevisionRecord): Condition[] {
  const t = r.updateTime;
  if (r.state === 'READY') {
    return [
      condition('Ready', 'CONDITION_SUCCEEDED', t),
      condition('ContainerHealthy', 'CONDITION_SUCCEEDED', t),
      condition('ResourcesAvailable', 'CONDITION_SUCCEEDED', t),
    ];
  }
  if (r.state === 'FAILED') {
    const missing = /IMAGE|MISSING|PULL/i.test(r.reason);
    const why: Partial<Condition> = missing
      ? { reason: 'CONTAINER_MISSING', message: r.message, severity: 'ERROR' }
      : r.reason === 'PROGRESS_DEADLINE_EXCEEDED'
        ? { reason: 'PROGRESS_DEADLINE_EXCEEDED', message: r.message, severity: 'ERROR' }
        : { revisionReason: 'HEALTH_CHECK_CONTAINER_ERROR', message: r.message, severity: 'ERROR' };
    return [
      condition('Ready', 'CONDITION_FAILED', t, why),
      condition('ContainerHealthy', 'CONDITION_FAILED', t, why),
      condition('ResourcesAvailable', missing ? 'CONDITION_FAILED' : 'CONDITION_SUCCEEDED', t),
    ];
  }
  return [
    condition('Ready', 'CONDITION_RECONCILING', t),
    condition('ContainerHealthy', 'CONDITION_PENDING', t),
    condition('ResourcesAvailable', 'CONDITION_RECONCILING', t),
  ];
}

/** The v2 Revision JSON. */
export function renderRevision(r: RevisionRecord): RevisionOutput {
  const { template: t } = r;
  const out: RevisionOutput = {
    name: revisionName(r.projectId, r.region, r.service, r.name),
    uid: r.uid,
    generation: '1',
    labels: t.labels,
    annotations: t.annotations,
    createTime: r.createTime,
    updateTime: r.updateTime,
    launchStage: t.launchStage,
    service: serviceName(r.projectId, r.region, r.service),
    scaling: t.scaling,
    maxInstanceRequestConcurrency: t.maxInstanceRequestConcurrency,
    timeout: t.timeout,
    containers: t.containers,
    reconciling: r.state === 'PENDING',
    conditions: revisionConditions(r),
    observedGeneration: '1',
    etag: makeEtag(r.uid, r.state, r.updateTime),
  };
  if (t.serviceAccount) out.serviceAccount = t.serviceAccount;
  if (t.executionEnvironment) out.executionEnvironment = t.executionEnvironment;
  if (t.sessionAffinity) out.sessionAffinity = true;
  if (r.deleteTime) out.deleteTime = r.deleteTime;
  return out;
}

/** google.longrunning.Operation JSON; `current` is the resource while the operation runs. */
export function renderOperation(
  o: OperationRecord,
  current: Record<string, unknown> | undefined,
): OperationOutput {
  const type = o.kind === 'revision.delete' ? REVISION_TYPE : SERVICE_TYPE;
  const out: OperationOutput = { name: operationName(o.projectId, o.region, o.id), done: o.done };
  const meta = o.result.response ?? current;
  if (meta) out.metadata = { '@type': type, ...meta };
  if (o.done && o.result.error) out.error = o.result.error;
  else if (o.done && o.result.response) out.response = { '@type': type, ...o.result.response };
  return out;
}
