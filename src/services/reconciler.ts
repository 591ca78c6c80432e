import type { RevisionReadiness, TrafficRoute } from '../model/index.ts';
import type { OperationRecord, RevisionRecord, ServiceRecord } from '../store/index.ts';
import { renderRevision } from './render.ts';
import type { ServicesContext } from './context.ts';
import { ingressMode, resolveTraffic } from './desired.ts';
import { serviceName } from './names.ts';
import { nextStatus, opResult } from './status.ts';
import { digestOf, withDigest } from './wiring.ts';
import { RetireGate } from './retire-gate.ts';
import { withProgressDeadline } from './deadline.ts';

const RETRY_MS = 1000;
/** Knative's default progress deadline for a revision to become ready. */
const PROGRESS_DEADLINE_MS = 600_000;
/** A superseded revision stops once no revision started for this long (retire-gate.ts)... */
const RETIRE_QUIET_MS = 1000;
/** ...or this long after it was superseded, whichever comes first. */
const RETIRE_MAX_HOLD_MS = 10_000;

/**
 * Turns stored desired state into running revisions through the data plane. Per service, passes run
 * one at a time and are idempotent: each compares desired state with what it recorded and acts. Slow
 * data-plane calls (start, drain) run as tasks that re-queue the service when they finish. Intent is
 * written before acting (`dp = active` before a start), so a restart finds and finishes or cleans up
 * whatever was in flight.
 */
export class Reconciler {
  private readonly loops = new Map<string, { dirty: boolean }>();
  private readonly starting = new Map<string, Promise<void>>();
  private readonly retiring = new Map<string, Promise<void>>();
  /** Revisions the data plane was asked to run (and said ready) in this process. */
  private readonly live = new Set<string>();
  private idleWaiters: (() => void)[] = [];
  private disposed = false;
  private readonly gate: RetireGate;

  constructor(private readonly ctx: ServicesContext) {
    const { clock, retireQuietMs } = ctx.deps;
    this.gate = new RetireGate(clock, retireQuietMs ?? RETIRE_QUIET_MS, RETIRE_MAX_HOLD_MS);
  }

  /** Resumes every stored service and unfinished revision deletion (after a start or restart). */
  start(): void {
    for (const uid of this.ctx.repo.allUids()) {
      this.enqueue(uid);
      for (const op of this.ctx.ops.pending(uid)) {
        if (op.kind !== 'revision.delete') continue;
        const r = this.ctx.repo.revisions(uid).find((x) => op.target.endsWith(`/revisions/${x.name}`));
        if (r) this.removeRevision(op, r);
        else this.ctx.finishOp(op, { response: {} });
      }
    }
  }

  /** Drains a deleted revision in the data plane, then forgets it and finishes the operation. */
  removeRevision(op: OperationRecord, r: RevisionRecord): void {
    void (async () => {
      if (r.dp === 'active') await this.retire(r.serviceUid, r);
      if (this.disposed) return;
      if (this.ctx.repo.revisions(r.serviceUid).find((x) => x.uid === r.uid)?.dp === 'active') return;
      this.ctx.repo.tx(() => {
        this.ctx.repo.removeRevision(r.uid);
        this.ctx.finishOp(op, { response: { ...renderRevision(r) } });
      });
    })();
  }

  /** Asks for a pass over one service; passes for the same service never overlap. */
  enqueue(uid: string): void {
    if (this.disposed) return;
    const loop = this.loops.get(uid);
    if (loop) {
      loop.dirty = true;
      return;
    }
    const state = { dirty: true };
    this.loops.set(uid, state);
    void this.run(uid, state);
  }

  /** Resolves once no pass and no data-plane task is in flight (tests, benchmarks, shutdown). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  dispose(): void {
    this.disposed = true;
    this.gate.expediteAll();
    this.ctx.waiters.notifyAll();
  }

  private isIdle(): boolean {
    return this.loops.size === 0 && this.starting.size === 0 && this.retiring.size === 0;
  }

  private checkIdle(): void {
    if (!this.isIdle()) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }

  private async run(uid: string, state: { dirty: boolean }): Promise<void> {
    while (state.dirty && !this.disposed) {
      state.dirty = false;
      try {
        await this.reconcile(uid);
      } catch (err) {
        if (this.disposed) break;
        this.ctx.deps.logger.error({ err, service: uid }, 'reconcile failed; retrying');
        this.ctx.deps.clock.setTimeout(() => this.enqueue(uid), RETRY_MS);
      }
    }
    this.loops.delete(uid);
    this.checkIdle();
  }

  private async reconcile(uid: string): Promise<void> {
    const s = this.ctx.repo.byUid(uid);
    if (!s) return;
    const revs = this.ctx.repo.revisions(uid);
    if (s.deleting) return this.teardown(s, revs);
    const byName = new Map(revs.map((r) => [r.name, r]));
    const latest = revs[0];
    const latestReady = revs.find((r) => r.state === 'READY');
    const { dataPlane } = this.ctx.deps;
    const project = {
      number: this.ctx.deps.iam.project(s.projectId)?.projectNumber ?? latest?.runtime.projectNumber ?? '',
    };
    const resolved = resolveTraffic(s.spec, latestReady?.name, (tag) =>
      dataPlane.serviceUrl(project, s.region, s.name, tag),
    );
    // A pinned target on a failed revision keeps traffic where it was.
    const blocked = resolved.routes.some((r) => byName.get(r.revision)?.state === 'FAILED');
    const target: TrafficRoute[] = blocked ? (s.status.appliedRoutes ?? []) : resolved.routes;
    const routed = new Set(target.map((r) => r.revision));
    for (const r of revs) {
      if (r.state === 'PENDING' && (r === latest || routed.has(r.name))) this.bringUp(s, r);
      else if (r.state === 'READY' && routed.has(r.name) && !this.live.has(r.uid)) this.bringUp(s, r);
      else if (r.state === 'PENDING' && !this.starting.has(r.uid)) this.supersede(r, latest!);
    }
    // After a restart a ready revision is routed again while it starts (the data plane buffers its
    // requests as in a cold start), so its URL never answers 404 in between.
    const waiting = target.some((t) => {
      const r = byName.get(t.revision);
      return !r || r.state !== 'READY' || !(this.live.has(r.uid) || this.starting.has(r.uid));
    });
    if (this.disposed) return;
    if (!waiting) {
      dataPlane.setRoutes({
        project: s.projectId,
        projectNumber: project.number,
        region: s.region,
        service: s.name,
        routes: target,
        ingress: ingressMode(s.spec.ingress),
        invokerIamDisabled: s.spec.invokerIamDisabled,
        customAudiences: s.spec.customAudiences,
      });
      for (const r of revs) {
        const unneeded = !routed.has(r.name) && !(r.state === 'PENDING' && r === latest);
        if (r.dp === 'active' && unneeded && !this.starting.has(r.uid)) this.retire(s.uid, r, true);
      }
    }
    const uri = dataPlane.serviceUrl(project, s.region, s.name);
    const status = nextStatus({
      s,
      revs,
      resolved,
      blocked,
      target,
      applied: !waiting,
      uri,
      now: this.ctx.now(),
    });
    const done = status.observedGeneration >= s.generation && !status.reconciling;
    this.ctx.repo.tx(() => {
      this.ctx.repo.setStatus(s.uid, status);
      if (!done) return;
      const after = { ...s, status };
      for (const op of this.ctx.ops.pending(s.uid)) {
        if (op.generation <= status.observedGeneration)
          this.ctx.finishOp(op, opResult(after, latest, op, this.ctx.now()));
      }
    });
  }

  /** Starts a revision (or re-registers a ready one after a restart) as a task. */
  private bringUp(s: ServiceRecord, r: RevisionRecord): void {
    if (this.starting.has(r.uid) || this.disposed) return;
    if (r.dp !== 'active') this.ctx.repo.setRevisionDp(r.uid, 'active');
    const ended = this.gate.started();
    const task = (async () => {
      let readiness: RevisionReadiness;
      try {
        // The registry address may differ after a restart, so the image is mapped again each time.
        const local = this.ctx.deps.resolveImage(r.template.containers[0]!.image);
        const pinned = digestOf(r.runtime.image);
        const image = pinned ? withDigest(local, pinned) : local;
        const started = this.ctx.deps.dataPlane.ensureRevision({ ...r.runtime, image });
        // A revision that was ready before a restart keeps serving however long its start takes.
        readiness =
          r.state === 'READY'
            ? await started
            : await withProgressDeadline(
                this.ctx.deps.clock,
                this.ctx.deps.progressDeadlineMs ?? PROGRESS_DEADLINE_MS,
                started,
                r.name,
              );
      } catch (err) {
        this.ctx.deps.logger.error({ err, revision: r.name }, 'data plane failed to start a revision');
        readiness = {
          ready: false,
          reason: 'INTERNAL',
          message: `tarmac could not start the revision: ${String(err)}`,
          logTail: [],
        };
      }
      if (this.disposed) return;
      if (r.state === 'READY') {
        // A restart: the revision was ready before; it keeps serving even if no instance is up yet.
        this.live.add(r.uid);
        return;
      }
      if (readiness.ready) this.live.add(r.uid);
      const failed = readiness.ready ? undefined : readiness;
      this.ctx.repo.updateRevision({
        uid: r.uid,
        state: failed ? 'FAILED' : 'READY',
        dp: 'active',
        reason: failed?.reason ?? '',
        message: failed?.message ?? '',
        logTail: failed?.logTail ?? [],
        updateTime: this.ctx.now(),
      });
    })().finally(() => {
      ended();
      this.starting.delete(r.uid);
      this.enqueue(s.uid);
      this.checkIdle();
    });
    this.starting.set(r.uid, task);
  }

  private supersede(r: RevisionRecord, latest: RevisionRecord): void {
    this.ctx.repo.updateRevision({
      uid: r.uid,
      state: 'FAILED',
      dp: r.dp,
      reason: 'SUPERSEDED',
      message: `Revision '${r.name}' was superseded by '${latest.name}' before it became ready.`,
      logTail: [],
      updateTime: this.ctx.now(),
    });
  }

  /**
   * Drains a revision in the data plane as a task, then records that it is gone. A superseded one
   * (`hold`) waits for revision starts to go first; a deletion lets a held one go at once.
   */
  private retire(serviceUid: string, r: RevisionRecord, hold = false): Promise<void> {
    const running = this.retiring.get(r.uid);
    if (!hold) this.gate.expedite(r.uid);
    if (running) return running;
    this.live.delete(r.uid);
    const task = (async () => {
      try {
        if (hold) {
          await this.gate.hold(r.uid);
          // Routed again while held (traffic moved back): the start it got keeps it; no retire.
          if (this.disposed || this.live.has(r.uid) || this.starting.has(r.uid)) return;
        }
        await this.ctx.deps.dataPlane.retireRevision(r.name);
        // Traffic came back meanwhile (update-traffic): the revision runs again and stays active.
        const revived = this.starting.has(r.uid) || this.live.has(r.uid);
        if (!this.disposed && !revived) this.ctx.repo.setRevisionDp(r.uid, 'retired');
      } catch (err) {
        this.ctx.deps.logger.error(
          { err, revision: r.name },
          'data plane failed to retire a revision; will retry',
        );
        if (!this.disposed) this.ctx.deps.clock.setTimeout(() => this.enqueue(serviceUid), RETRY_MS);
      }
    })().finally(() => {
      this.retiring.delete(r.uid);
      // A revival during the drain may have lost its traffic again: look once more.
      if (this.starting.has(r.uid) || this.live.has(r.uid)) this.enqueue(serviceUid);
      this.checkIdle();
    });
    this.retiring.set(r.uid, task);
    return task;
  }

  /** Deletion: stop routing, drain every revision, then forget the service and finish its operations. */
  private async teardown(s: ServiceRecord, revs: RevisionRecord[]): Promise<void> {
    this.ctx.deps.dataPlane.removeRoutes(s.projectId, s.region, s.name);
    await Promise.allSettled(revs.map((r) => this.starting.get(r.uid)));
    const current = this.ctx.repo.revisions(s.uid);
    await Promise.all(current.filter((r) => r.dp === 'active').map((r) => this.retire(s.uid, r)));
    if (this.disposed) return;
    if (this.ctx.repo.revisions(s.uid).some((r) => r.dp === 'active')) return; // a retire failed; retried later
    const name = serviceName(s.projectId, s.region, s.name);
    await this.ctx.deps.iam
      .deletePolicy(name)
      .catch((err: unknown) => this.ctx.deps.logger.warn({ err }, 'policy cleanup failed'));
    if (this.disposed) return;
    this.ctx.repo.tx(() => {
      for (const op of this.ctx.ops.pending(s.uid))
        this.ctx.finishOp(op, opResult(s, undefined, op, this.ctx.now()));
      this.ctx.repo.remove(s.uid);
    });
    for (const r of revs) this.live.delete(r.uid);
  }
}
