import { RPC_CODE } from '../shared/index.ts';
import {
  TRAFFIC_REVISION,
  TRAFFIC_LATEST,
  type Condition,
  type ServiceStatus,
  type TrafficRoute,
  type TrafficTargetStatus,
} from '../model/index.ts';
import type { OperationRecord, RevisionRecord, ServiceRecord } from '../store/index.ts';
import type { ResolvedTraffic } from './desired.ts';
import { condition, renderService } from './render.ts';

const LOG_LINES = 20;

/** The words a user sees when a revision fails: what happened and the container's last log lines. */
export function failureMessage(r: RevisionRecord): string {
  const head = `Revision '${r.name}' is not ready and cannot serve traffic. ${r.message}`.trim();
  const tail = r.logTail.slice(-LOG_LINES);
  if (tail.length === 0) return head;
  return `${head}\nLast lines of the container's log:\n${tail.map((l) => `  ${l}`).join('\n')}`;
}

export interface StatusInput {
  s: ServiceRecord;
  revs: RevisionRecord[];
  resolved: ResolvedTraffic;
  /** True when a pinned target is on a failed revision and traffic stays where it was. */
  blocked: boolean;
  target: TrafficRoute[];
  /** Whether the routes were handed to the data plane in this pass. */
  applied: boolean;
  uri: string;
  now: string;
}

/** Keeps a condition's transition time while its state does not change. */
function carry(prev: Condition | undefined, next: Condition): Condition {
  return prev && prev.state === next.state
    ? { ...next, lastTransitionTime: prev.lastTransitionTime ?? next.lastTransitionTime }
    : next;
}

/** The service status after a reconcile pass. */
export function nextStatus(i: StatusInput): ServiceStatus {
  const { s, revs, now } = i;
  const prev = s.status;
  const latest = revs[0];
  const latestReady = revs.find((r) => r.state === 'READY');
  const settled = !latest || latest.state !== 'PENDING';
  const done = settled && i.applied;
  const failed = latest?.state === 'FAILED' ? latest : undefined;
  const why = failed
    ? { reason: 'REVISION_FAILED', message: failureMessage(failed), severity: 'ERROR' as const }
    : {};
  const terminal = !done
    ? condition('Ready', 'CONDITION_RECONCILING', now)
    : failed
      ? condition('Ready', 'CONDITION_FAILED', now, why)
      : condition('Ready', 'CONDITION_SUCCEEDED', now);
  const configs = !settled
    ? condition('ConfigurationsReady', 'CONDITION_RECONCILING', now)
    : failed
      ? condition('ConfigurationsReady', 'CONDITION_FAILED', now, why)
      : condition('ConfigurationsReady', 'CONDITION_SUCCEEDED', now);
  const routes = condition('RoutesReady', i.applied ? 'CONDITION_SUCCEEDED' : 'CONDITION_RECONCILING', now);
  const findPrev = (type: string): Condition | undefined => prev.conditions.find((c) => c.type === type);
  const status: ServiceStatus = {
    observedGeneration: done ? s.generation : prev.observedGeneration,
    terminalCondition: carry(prev.terminalCondition, terminal),
    conditions: [carry(findPrev('RoutesReady'), routes), carry(findPrev('ConfigurationsReady'), configs)],
    trafficStatuses: trafficStatuses(i, latestReady?.name),
    uri: i.uri,
    urls: [i.uri],
    reconciling: !done,
  };
  if (latest) status.latestCreatedRevision = latest.name;
  if (latestReady) status.latestReadyRevision = latestReady.name;
  const applied = i.applied ? i.target : prev.appliedRoutes;
  if (applied) status.appliedRoutes = applied;
  return status;
}

function trafficStatuses(i: StatusInput, latestReady: string | undefined): TrafficTargetStatus[] {
  if (!i.blocked) {
    return i.resolved.statuses.map((t) =>
      t.type === TRAFFIC_LATEST && latestReady ? { ...t, revision: latestReady } : t,
    );
  }
  const tagUri = new Map(i.resolved.statuses.filter((t) => t.tag).map((t) => [t.tag!, t.uri!]));
  return i.target.map((r) => ({
    type: TRAFFIC_REVISION,
    revision: r.revision,
    percent: r.percent,
    ...(r.tag ? { tag: r.tag, ...(tagUri.has(r.tag) ? { uri: tagUri.get(r.tag)! } : {}) } : {}),
  }));
}

/** How an operation ends, given the service as the reconciler left it. */
export function opResult(
  s: ServiceRecord,
  latest: RevisionRecord | undefined,
  op: OperationRecord,
  now: string,
): OperationRecord['result'] {
  if (op.kind === 'service.delete') return { response: { ...renderService(s), deleteTime: now } };
  if (s.deleting) {
    return {
      error: {
        code: RPC_CODE.ABORTED,
        message: `Service '${s.name}' was deleted before the operation finished.`,
        details: [],
      },
    };
  }
  if (latest?.state === 'FAILED' && latest.generation >= op.generation) {
    return {
      error: {
        code: RPC_CODE.FAILED_PRECONDITION,
        message: failureMessage(latest),
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: latest.reason || 'REVISION_FAILED',
            domain: 'run.googleapis.com',
            metadata: { revision: latest.name, service: s.name },
          },
        ],
      },
    };
  }
  return { response: { ...renderService(s) } };
}
