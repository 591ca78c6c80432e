import type { RevisionReadiness, RevisionRuntimeSpec } from '../model/index.ts';
import { isTarmacError, randomSuffix, type TimerHandle } from '../shared/index.ts';
import { DEFAULT_SCALING, type ScalingSpec } from './autoscaler.ts';
import { Instance, type InstanceExit } from './instance.ts';
import {
  died,
  explainFailure,
  launch,
  logTail,
  memoryMessage,
  teardown,
  type LauncherDeps,
} from './launcher.ts';
import { watchLiveness } from './liveness.ts';
import { WaitQueue, type Waiter } from './waitqueue.ts';
import { ScalingWindow } from './window.ts';

export type { Waiter } from './waitqueue.ts';

export interface RevisionOptions {
  targetUtilization: number;
  idleTimeoutMs: number;
  /** How long a request waits at max instances before 429 (60 s). */
  queueWaitMs: number;
  /** Waiting requests per revision beyond which new ones get 429 at once. */
  queueLimit: number;
  tickMs: number;
}

const MAX_BACKOFF_MS = 300_000;

/**
 * A revision's instances, its request slots (a breaker: never more than `concurrency` in flight per
 * instance), its bounded wait queue and its scaling loop.
 */
export class Revision {
  readonly instances: Instance[] = [];
  readonly ready: Instance[] = [];
  private readonly queue: WaitQueue;
  private inflight = 0;
  private readonly window: ScalingWindow;
  private failures = 0;
  private backoffUntil = 0;
  private lastError = '';
  private outcome: ((r: RevisionReadiness) => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private tickTimer: TimerHandle | undefined;
  private stopped = false;
  draining = false;
  readonly scaling: ScalingSpec;

  constructor(
    readonly spec: RevisionRuntimeSpec,
    private readonly deps: LauncherDeps,
    private readonly opts: RevisionOptions,
  ) {
    this.scaling = {
      ...DEFAULT_SCALING,
      concurrency: Math.max(1, spec.concurrency),
      targetUtilization: opts.targetUtilization,
      minInstances: spec.minInstances,
      maxInstances: Math.max(1, spec.maxInstances),
      idleTimeoutMs: opts.idleTimeoutMs,
    };
    this.queue = new WaitQueue(deps.clock, {
      waitMs: opts.queueWaitMs,
      expire: () =>
        this.active >= this.scaling.maxInstances
          ? `Rate exceeded: no instance of revision ${this.spec.name} became available within ${opts.queueWaitMs / 1000} s (max instances ${this.scaling.maxInstances} reached).`
          : undefined,
    });
    this.window = new ScalingWindow(this.scaling, deps.clock.now());
    this.scheduleTick();
  }

  get demand(): number {
    return this.inflight + this.queue.size;
  }

  /** Instances starting or serving. */
  get active(): number {
    let n = 0;
    for (const i of this.instances) if (i.state === 'starting' || i.state === 'ready') n++;
    return n;
  }

  /** Takes a slot on the least loaded ready instance, if one has room. */
  tryAcquire(): Instance | undefined {
    const c = this.scaling.concurrency;
    let best: Instance | undefined;
    for (const i of this.ready)
      if (i.inflight < c && (best === undefined || i.inflight < best.inflight)) best = i;
    if (best) this.take(best);
    return best;
  }

  private take(inst: Instance): void {
    inst.inflight++;
    this.inflight++;
    this.window.noteDemand(this.demand);
  }

  /** True once a drain stopped the revision: it starts no instance again (serving registers anew). */
  get retired(): boolean {
    return this.stopped;
  }

  /** Queues a request until a slot frees up or an instance starts. */
  wait(w: Waiter): void {
    if (this.stopped) {
      // Nothing would ever serve it here (a retry racing the end of a drain).
      w.fail(503, `Revision ${this.spec.name} was retired; retry the request.`);
      return;
    }
    if (this.active === 0 && this.deps.clock.now() < this.backoffUntil) {
      // Crash-looping: fail fast instead of holding requests through the backoff.
      w.fail(503, `The revision ${this.spec.name} could not start an instance: ${this.lastError}`);
      return;
    }
    if (this.queue.size >= this.opts.queueLimit) {
      w.fail(429, `Rate exceeded: revision ${this.spec.name} has ${this.queue.size} requests waiting.`);
      return;
    }
    this.queue.push(w);
    this.window.noteDemand(this.demand);
    this.scaleForDemand();
  }

  /** Forgets a waiting request (client gone, timed out). */
  cancel(w: Waiter): void {
    if (this.queue.cancel(w)) this.checkIdle();
  }

  /** Returns a slot; hands it straight to the next waiting request. */
  release(inst: Instance): void {
    inst.inflight--;
    this.inflight--;
    const now = this.deps.clock.now();
    inst.lastActiveAt = now;
    this.window.touch(now);
    if (this.queue.size > 0 && inst.state === 'ready') this.dispatch();
    this.checkIdle();
  }

  private dispatch(): void {
    while (this.queue.size > 0) {
      const inst = this.tryAcquire();
      if (!inst) return;
      const w = this.queue.next();
      if (!w) {
        this.undo(inst);
        return;
      }
      w.grant(inst);
    }
  }

  private undo(inst: Instance): void {
    inst.inflight--;
    this.inflight--;
  }

  private failWaiters(status: 429 | 503, message: string): void {
    this.queue.failAll(status, message);
    this.checkIdle();
  }

  /** Starts instances right away when waiting requests need more than is starting (activator poke). */
  private scaleForDemand(): void {
    const need = Math.min(this.scaling.maxInstances, Math.ceil(this.demand / this.scaling.concurrency));
    const missing = need - this.active;
    if (missing > 0) this.startInstances(missing);
  }

  private startInstances(n: number): void {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    if (now < this.backoffUntil) return;
    for (let k = 0; k < n; k++) this.startOne();
  }

  private startOne(): void {
    const { deps, spec } = this;
    const id = randomSuffix(12);
    const inst = new Instance(
      spec.name,
      id,
      `tarmac-${spec.name}-${id}`.slice(0, 120),
      deps.addresses.allocate(),
      deps.clock.now(),
      this.scaling.concurrency,
    );
    this.instances.push(inst);
    inst.launching = launch(spec, inst, deps);
    inst.launching.then(
      () => this.onReady(inst),
      (e: unknown) => void this.onStartFailed(inst, e),
    );
  }

  private onReady(inst: Instance): void {
    if (inst.state !== 'starting') return; // retired while starting: retire() tears it down
    inst.state = 'ready';
    inst.readyAt = this.deps.clock.now();
    inst.lastActiveAt = inst.readyAt;
    const cold = this.queue.size > 0;
    this.ready.push(inst);
    this.failures = 0;
    const ms = inst.readyAt - inst.createdAt;
    const t = inst.timings;
    const parts = t
      ? ` (create ${t.createMs} ms, start ${t.startMs} ms, inspect ${t.inspectMs} ms, startup probe ${t.probeMs} ms)`
      : '';
    this.deps.systemLog(
      this.spec.name,
      'INFO',
      `Instance ${inst.id} started in ${ms} ms${parts} and is serving${cold ? ' (cold start: requests were waiting)' : ''}.`,
    );
    this.deps.observer?.instanceStarted(this.spec, inst.id, ms, cold);
    this.notify({ ready: true });
    watchLiveness(this.spec, inst, this.deps, () => {
      inst.state = 'stopped';
      this.remove(inst);
      void teardown(inst, this.deps, 0);
      this.startInstances(1);
    });
    this.dispatch();
  }

  private async onStartFailed(inst: Instance, e: unknown): Promise<void> {
    const reason = isTarmacError(e) ? e.reason : 'CONTAINER_START_FAILED';
    const message = e instanceof Error ? e.message : String(e);
    if (inst.state !== 'starting') return; // retired while starting: retire() tears it down
    const tail = await logTail(this.deps.engine, inst.containerId);
    this.remove(inst);
    void teardown(inst, this.deps, 0);
    if (this.stopped) return;
    this.failures++;
    const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (this.failures - 1));
    this.backoffUntil = this.deps.clock.now() + backoff;
    this.lastError = message;
    this.deps.systemLog(
      this.spec.name,
      'ERROR',
      `${message} Retrying in ${backoff / 1000} s (crash loop backoff).`,
    );
    for (const line of tail) this.deps.systemLog(this.spec.name, 'ERROR', `container: ${line}`);
    this.notify({ ready: false, reason, message, logTail: tail });
    if (this.active === 0) {
      this.failWaiters(503, `The revision ${this.spec.name} could not start an instance: ${message}`);
    }
  }

  private notify(r: RevisionReadiness): void {
    for (const fn of this.outcome.splice(0)) fn(r);
  }

  /** Resolves when an instance is serving, or with why the next start failed (ensureRevision). */
  readiness(): Promise<RevisionReadiness> {
    if (this.ready.length > 0) return Promise.resolve({ ready: true });
    const p = new Promise<RevisionReadiness>((resolve) => this.outcome.push(resolve));
    if (this.active === 0) {
      this.backoffUntil = 0;
      this.startInstances(1);
    }
    return p;
  }

  private remove(inst: Instance): void {
    const a = this.instances.indexOf(inst);
    if (a !== -1) this.instances.splice(a, 1);
    const b = this.ready.indexOf(inst);
    if (b !== -1) this.ready.splice(b, 1);
  }

  /** The engine reported the container's end (crash or OOM kill). */
  onExit(inst: Instance, exit: InstanceExit): void {
    inst.markExited(exit);
    if (inst.state !== 'ready') return; // starting: the launch fails; draining: expected
    inst.state = 'stopped';
    this.remove(inst);
    if (exit.oomKilled) {
      this.deps.systemLog(this.spec.name, 'ERROR', memoryMessage(this.spec, exit.memoryUsedBytes));
      this.deps.observer?.instanceOomKilled(this.spec, inst.id);
    } else
      this.deps.systemLog(
        this.spec.name,
        'WARNING',
        `Instance ${inst.id} exited unexpectedly with code ${exit.exitCode ?? 'unknown'}.`,
      );
    void teardown(inst, this.deps, 0);
    this.scaleForDemand();
    if (!this.stopped && this.active < Math.max(this.window.lastDesired, this.scaling.minInstances)) {
      this.startInstances(Math.max(this.window.lastDesired, this.scaling.minInstances) - this.active);
    }
  }

  /** A request ran into the revision's timeout (the proxy answered 504): a system log line. */
  requestTimedOut(instanceId: string | undefined): void {
    this.deps.systemLog(
      this.spec.name,
      'ERROR',
      `The request has been terminated because it has reached the maximum request timeout of ${this.spec.timeoutSeconds} s${instanceId ? ` (instance ${instanceId})` : ''}.`,
    );
  }

  /** Requests in flight and waiting, instances by state (read on a metrics scrape). */
  stats(): { inflight: number; queued: number; starting: number; ready: number; draining: number } {
    const out = { inflight: this.inflight, queued: this.queue.size, starting: 0, ready: 0, draining: 0 };
    for (const i of this.instances) {
      if (i.state === 'starting') out.starting++;
      else if (i.state === 'ready') out.ready++;
      else if (i.state === 'draining') out.draining++;
    }
    return out;
  }

  /** Whether `inst` died (exit or OOM kill, recorded now if the engine says so): no retry then. */
  died(inst: Instance): Promise<boolean> {
    return died(inst, this.deps.engine, (exit) => this.onExit(inst, exit));
  }

  /** Why an upstream connection to `inst` broke, for the response body. */
  explainFailure(inst: Instance): Promise<{ status: number; message: string }> {
    return explainFailure(inst, this.spec, this.deps.engine, (exit) => this.onExit(inst, exit));
  }

  private scheduleTick(): void {
    this.tickTimer = this.deps.clock.setTimeout(() => this.tick(), this.opts.tickMs);
  }

  /** One autoscaler round: sample the demand, decide, start or retire instances. */
  tick(): void {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    const d = this.window.round(this.demand, this.ready.length, now);
    const active = this.active;
    if (d.desired > active && !this.draining) this.startInstances(d.desired - active);
    else if (d.desired < active) this.scaleDown(active - d.desired, now);
    this.scheduleTick();
  }

  private scaleDown(excess: number, now: number): void {
    const idle = this.ready
      .filter((i) => i.inflight === 0 && now - i.lastActiveAt >= this.scaling.idleTimeoutMs)
      .sort((a, b) => a.lastActiveAt - b.lastActiveAt)
      .slice(0, excess);
    for (const inst of idle) {
      this.deps.systemLog(this.spec.name, 'INFO', `Instance ${inst.id} idle; shutting down.`);
      void this.retire(inst, 10);
    }
  }

  /** Takes an instance out of routing, lets its requests finish, then stops it. */
  private async retire(inst: Instance, graceSeconds: number): Promise<void> {
    const wasStarting = inst.state === 'starting';
    inst.state = 'draining';
    if (wasStarting) await inst.launching?.catch(() => undefined);
    const b = this.ready.indexOf(inst);
    if (b !== -1) this.ready.splice(b, 1);
    while (inst.inflight > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
    this.remove(inst);
    await teardown(inst, this.deps, graceSeconds);
  }

  private checkIdle(): void {
    if (this.idleWaiters.length === 0) return;
    for (const fn of this.idleWaiters.splice(0)) fn();
  }

  /**
   * Cancels a drain that has not stopped the revision yet (traffic came back to it): false when it
   * already stopped, and a new Revision must take its place.
   */
  resume(): boolean {
    if (this.stopped) return false;
    if (this.draining) {
      this.draining = false;
      this.checkIdle();
    }
    return true;
  }

  /**
   * Drains: every request routed here finishes, then each instance gets SIGTERM and 10 s grace.
   * Resolves true once stopped, false when `resume` cancelled the drain first.
   */
  async drain(): Promise<boolean> {
    this.draining = true;
    while (this.demand > 0) {
      await new Promise<void>((r) => this.idleWaiters.push(r));
      if (!this.draining) return false;
    }
    if (!this.draining) return false;
    this.stopped = true;
    if (this.tickTimer) this.deps.clock.clearTimeout(this.tickTimer);
    this.notify({
      ready: false,
      reason: 'RETIRED',
      message: `revision ${this.spec.name} was retired`,
      logTail: [],
    });
    await Promise.all([...this.instances].map((i) => this.retire(i, 10)));
    return true;
  }
}
