import type { RevisionReadiness, RevisionRuntimeSpec } from '../model/index.ts';
import { isTarmacError, randomSuffix } from '../shared/index.ts';
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

const MAX_BACKOFF_MS = 300_000;

/** What the fleet tells its revision. */
export interface FleetEvents {
  /** Requests waiting for a slot (a start with waiters is a cold start). */
  waiting(): number;
  /** An instance passed its startup probe and takes requests. */
  ready(inst: Instance): void;
  /** A start failed; the crash-loop backoff is set. `none` when no instance is left running. */
  startFailed(failure: Extract<RevisionReadiness, { ready: false }>, none: boolean): void;
  /** A ready instance ended (crash, OOM kill): the revision may need another. */
  lost(): void;
}

/**
 * A revision's instances: starts them (with crash-loop backoff), marks them ready, handles their end
 * (exit, OOM kill, failed liveness) and retires them (drain, SIGTERM, grace). Requests and scaling
 * stay with the revision.
 */
export class Fleet {
  readonly instances: Instance[] = [];
  readonly ready: Instance[] = [];
  private failures = 0;
  private backoffUntil = 0;
  /** Why the last start failed (503 bodies while backing off). */
  lastError = '';
  /** Set once the revision stopped: no new instance starts. */
  stopped = false;

  constructor(
    private readonly spec: RevisionRuntimeSpec,
    private readonly deps: LauncherDeps,
    private readonly concurrency: number,
    private readonly events: FleetEvents,
    /** Resolves when a slot was returned (retire waits for an instance's requests to finish). */
    private readonly released: () => Promise<void>,
  ) {}

  /** Instances starting or serving. */
  get active(): number {
    let n = 0;
    for (const i of this.instances) if (i.state === 'starting' || i.state === 'ready') n++;
    return n;
  }

  /** True while a crash loop holds new starts back. */
  get backingOff(): boolean {
    return this.deps.clock.now() < this.backoffUntil;
  }

  /** Lifts the backoff (a deploy asks for the revision again). */
  resetBackoff(): void {
    this.backoffUntil = 0;
  }

  start(n: number): void {
    if (this.stopped || this.backingOff) return;
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
      this.concurrency,
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
    const cold = this.events.waiting() > 0;
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
    watchLiveness(this.spec, inst, this.deps, () => {
      inst.state = 'stopped';
      this.remove(inst);
      void teardown(inst, this.deps, 0);
      this.start(1);
    });
    this.events.ready(inst);
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
    this.events.startFailed({ ready: false, reason, message, logTail: tail }, this.active === 0);
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
    this.events.lost();
  }

  /** Whether `inst` died (exit or OOM kill, recorded now if the engine says so): no retry then. */
  died(inst: Instance): Promise<boolean> {
    return died(inst, this.deps.engine, (exit) => this.onExit(inst, exit));
  }

  /** Why an upstream connection to `inst` broke, for the response body. */
  explainFailure(inst: Instance): Promise<{ status: number; message: string }> {
    return explainFailure(inst, this.spec, this.deps.engine, (exit) => this.onExit(inst, exit));
  }

  /** Takes an instance out of routing, lets its requests finish, then stops it. */
  async retire(inst: Instance, graceSeconds: number): Promise<void> {
    const wasStarting = inst.state === 'starting';
    inst.state = 'draining';
    if (wasStarting) await inst.launching?.catch(() => undefined);
    const b = this.ready.indexOf(inst);
    if (b !== -1) this.ready.splice(b, 1);
    while (inst.inflight > 0) await this.released();
    this.remove(inst);
    await teardown(inst, this.deps, graceSeconds);
  }

  /** Open connections to the instances, and how many of them were dialed in their namespace. */
  connections(): { total: number; dialed: number } {
    const out = { total: 0, dialed: 0 };
    for (const i of this.instances) {
      out.total += i.pool.size;
      out.dialed += i.pool.directCount;
    }
    return out;
  }

  /** Instances by state (read on a metrics scrape). */
  counts(): { starting: number; ready: number; draining: number } {
    const out = { starting: 0, ready: 0, draining: 0 };
    for (const i of this.instances) {
      if (i.state === 'starting') out.starting++;
      else if (i.state === 'ready') out.ready++;
      else if (i.state === 'draining') out.draining++;
    }
    return out;
  }
}
