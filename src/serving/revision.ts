import type { RevisionReadiness, RevisionRuntimeSpec } from '../model/index.ts';
import type { TimerHandle } from '../shared/index.ts';
import { DEFAULT_SCALING, type ScalingSpec } from './autoscaler.ts';
import { Fleet } from './fleet.ts';
import type { Instance, InstanceExit } from './instance.ts';
import type { LauncherDeps } from './launcher.ts';
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

/**
 * A revision's request slots (a breaker: never more than `concurrency` in flight per instance), its
 * bounded wait queue, its scaling loop and its drain. Its instances are a `Fleet` (fleet.ts).
 */
export class Revision {
  private readonly fleet: Fleet;
  private readonly queue: WaitQueue;
  private inflight = 0;
  private readonly window: ScalingWindow;
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
    this.fleet = new Fleet(
      spec,
      deps,
      this.scaling.concurrency,
      {
        waiting: () => this.queue.size,
        ready: () => {
          this.notify({ ready: true });
          this.dispatch();
        },
        startFailed: (failure, none) => {
          this.notify(failure);
          if (none)
            this.failWaiters(
              503,
              `The revision ${spec.name} could not start an instance: ${failure.message}`,
            );
        },
        lost: () => this.replaceLost(),
      },
      () => new Promise<void>((r) => this.idleWaiters.push(r)),
    );
    this.queue = new WaitQueue(deps.clock, {
      waitMs: opts.queueWaitMs,
      expire: () =>
        this.fleet.active >= this.scaling.maxInstances
          ? `Rate exceeded: no instance of revision ${this.spec.name} became available within ${opts.queueWaitMs / 1000} s (max instances ${this.scaling.maxInstances} reached).`
          : undefined,
    });
    this.window = new ScalingWindow(this.scaling, deps.clock.now());
    this.scheduleTick();
  }

  get demand(): number {
    return this.inflight + this.queue.size;
  }

  /** True once a drain stopped the revision: it starts no instance again (serving registers anew). */
  get retired(): boolean {
    return this.stopped;
  }

  /** Takes a slot on the least loaded ready instance, if one has room. */
  tryAcquire(): Instance | undefined {
    const c = this.scaling.concurrency;
    let best: Instance | undefined;
    for (const i of this.fleet.ready)
      if (i.inflight < c && (best === undefined || i.inflight < best.inflight)) best = i;
    if (best) {
      best.inflight++;
      this.inflight++;
      this.window.noteDemand(this.demand);
    }
    return best;
  }

  /** Queues a request until a slot frees up or an instance starts. */
  wait(w: Waiter): void {
    if (this.stopped) {
      // Nothing would ever serve it here (a retry racing the end of a drain).
      w.fail(503, `Revision ${this.spec.name} was retired; retry the request.`);
      return;
    }
    if (this.fleet.active === 0 && this.fleet.backingOff) {
      // Crash-looping: fail fast instead of holding requests through the backoff.
      w.fail(503, `The revision ${this.spec.name} could not start an instance: ${this.fleet.lastError}`);
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
        inst.inflight--;
        this.inflight--;
        return;
      }
      w.grant(inst);
    }
  }

  private failWaiters(status: 429 | 503, message: string): void {
    this.queue.failAll(status, message);
    this.checkIdle();
  }

  /** Starts instances right away when waiting requests need more than is starting (activator poke). */
  private scaleForDemand(): void {
    const need = Math.min(this.scaling.maxInstances, Math.ceil(this.demand / this.scaling.concurrency));
    const missing = need - this.fleet.active;
    if (missing > 0) this.fleet.start(missing);
  }

  /** A ready instance ended: start what waiting requests, the last decision and the minimum need. */
  private replaceLost(): void {
    this.scaleForDemand();
    const floor = Math.max(this.window.lastDesired, this.scaling.minInstances);
    if (!this.stopped && this.fleet.active < floor) this.fleet.start(floor - this.fleet.active);
  }

  private notify(r: RevisionReadiness): void {
    for (const fn of this.outcome.splice(0)) fn(r);
  }

  /** Resolves when an instance is serving, or with why the next start failed (ensureRevision). */
  readiness(): Promise<RevisionReadiness> {
    if (this.fleet.ready.length > 0) return Promise.resolve({ ready: true });
    const p = new Promise<RevisionReadiness>((resolve) => this.outcome.push(resolve));
    if (this.fleet.active === 0) {
      this.fleet.resetBackoff();
      this.fleet.start(1);
    }
    return p;
  }

  /** The engine reported the container's end (crash or OOM kill). */
  onExit(inst: Instance, exit: InstanceExit): void {
    this.fleet.onExit(inst, exit);
  }

  /** Whether `inst` died (exit or OOM kill, recorded now if the engine says so): no retry then. */
  died(inst: Instance): Promise<boolean> {
    return this.fleet.died(inst);
  }

  /** Why an upstream connection to `inst` broke, for the response body. */
  explainFailure(inst: Instance): Promise<{ status: number; message: string }> {
    return this.fleet.explainFailure(inst);
  }

  /** A request ran into the revision's timeout (the proxy answered 504): a system log line. */
  requestTimedOut(instanceId: string | undefined): void {
    this.deps.systemLog(
      this.spec.name,
      'ERROR',
      `The request has been terminated because it has reached the maximum request timeout of ${this.spec.timeoutSeconds} s${instanceId ? ` (instance ${instanceId})` : ''}.`,
    );
  }

  upstreamConnections(): { total: number; dialed: number } {
    return this.fleet.connections();
  }

  /** Instances by state (tests, the console). */
  instanceCounts(): { starting: number; ready: number; draining: number } {
    return this.fleet.counts();
  }

  /** Requests in flight and waiting, instances by state (read on a metrics scrape). */
  stats(): { inflight: number; queued: number; starting: number; ready: number; draining: number } {
    return { inflight: this.inflight, queued: this.queue.size, ...this.fleet.counts() };
  }

  private scheduleTick(): void {
    this.tickTimer = this.deps.clock.setTimeout(() => this.tick(), this.opts.tickMs);
  }

  /** One autoscaler round: sample the demand, decide, start or retire instances. */
  tick(): void {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    const d = this.window.round(this.demand, this.fleet.ready.length, now);
    const active = this.fleet.active;
    if (d.desired > active && !this.draining) this.fleet.start(d.desired - active);
    else if (d.desired < active) this.scaleDown(active - d.desired, now);
    this.scheduleTick();
  }

  private scaleDown(excess: number, now: number): void {
    const idle = this.fleet.ready
      .filter((i) => i.inflight === 0 && now - i.lastActiveAt >= this.scaling.idleTimeoutMs)
      .sort((a, b) => a.lastActiveAt - b.lastActiveAt)
      .slice(0, excess);
    for (const inst of idle) {
      this.deps.systemLog(this.spec.name, 'INFO', `Instance ${inst.id} idle; shutting down.`);
      void this.fleet.retire(inst, 10);
    }
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
    this.fleet.stopped = true;
    if (this.tickTimer) this.deps.clock.clearTimeout(this.tickTimer);
    this.notify({
      ready: false,
      reason: 'RETIRED',
      message: `revision ${this.spec.name} was retired`,
      logTail: [],
    });
    await Promise.all([...this.fleet.instances].map((i) => this.fleet.retire(i, 10)));
    return true;
  }
}
