import type { Clock, Logger, TimerHandle } from '../shared/index.ts';
import type { HistoryRepo } from './history.ts';
import type { Attempt, AttemptOutcome, AttemptRequest, Done } from './invoker.ts';
import { abortInFlight, claimDue } from './claim.ts';
import { recordOutcome, type Claim } from './record.ts';
import type { JobRepo, JobRow } from './repo.ts';

const MAX_SLEEP_MS = 3_600_000;
/** Attempts in flight above which outcomes are written every FLUSH_EVERY_MS rather than at once. */
const BUSY = 64;
const FLUSH_EVERY_MS = 200;

/** What the loop needs from the invoker: requests built ahead of time, sent at the instant. */
export interface Attempter {
  /** Builds the request (headers, token) ahead of the due time; never throws or rejects. */
  prepare(req: AttemptRequest): Attempt | Promise<Attempt>;
  /** Sends a prepared attempt now; `done` gets its outcome and `tag` once, maybe before this returns. */
  fire<T>(a: Attempt, done: Done<T>, tag: T): void;
  abortAll(): void;
}

export interface LoopOptions {
  repo: JobRepo;
  history: HistoryRepo;
  invoker: Attempter;
  clock: Clock;
  logger: Logger;
  /** Most runs claimed per tick; more due runs are claimed on the next turn. */
  batch?: number;
  /** How long dispose() lets attempts in flight finish before cancelling them. */
  drainMs?: number;
  /** Told of every finished attempt (metrics); must return at once. */
  onAttempt?: AttemptHook;
  /**
   * How early runs are claimed before they are due (default 1500 ms): the query, the claim
   * transaction and building the requests (tokens included) happen then, so at the due time the
   * prepared requests only have to be handed to the connection pool.
   */
  leadMs?: number;
}

/** A finished attempt of a job: its result code (OK, DEADLINE_EXCEEDED, ...) and latency. */
export type AttemptHook = (job: string, code: string, latencyMs: number) => void;

/** Claims committed (and their requests built) ahead of their due time, waiting for it. */
interface PendingLaunch {
  timer: TimerHandle;
  claims: Claim[];
}

/**
 * The durable scheduling loop. SQLite holds each job's next run and its active run; a single timer
 * is armed for the earliest due time. Claiming a run (or a retry) is committed before its request is
 * sent, so a restart never sends it again: an attempt that was in flight when the process died is
 * recorded as ABORTED and only retried if the retry policy allows. A run that fell due while tarmac
 * was down fires once on start (carrying its own schedule time); the runs between it and now are
 * skipped, exactly as a run that falls due while the previous one is still running (no overlap).
 */
export class SchedulerLoop {
  private timer: TimerHandle | undefined;
  private armedAt: number | undefined;
  private stopped = false;
  /** Attempts launched and not yet over (some may still wait for their token). */
  private running = 0;
  private aborted = false;
  private drainWaiters: (() => void)[] = [];
  private completions: { claim: Claim; outcome: AttemptOutcome }[] = [];
  private flushQueued = false;
  private idleWaiters: (() => void)[] = [];
  private readonly pending = new Map<number, PendingLaunch>();
  private readonly batch: number;
  private readonly lead: number;

  constructor(private readonly o: LoopOptions) {
    this.batch = o.batch ?? 20_000;
    this.lead = o.leadMs ?? 1500;
  }

  /** Records attempts cut off by a previous stop, then arms the timer. */
  start(): void {
    abortInFlight(this.o.repo, this.o.history, this.o.clock.now());
    this.arm();
  }

  /** Re-reads the earliest due time after a job changed. */
  poke(): void {
    this.arm();
  }

  /** RunJob: one attempt now, even while a scheduled run is in flight; it does not delay the schedule. */
  runNow(row: JobRow): void {
    const now = this.o.clock.now();
    this.o.repo.manualStarted(row.name, now);
    this.launch({ row, scheduleTime: now, attempt: 1, firstAttemptAt: now, manual: true });
  }

  /** Resolves when no attempt is in flight and every outcome is written (tests). */
  idle(): Promise<void> {
    if (this.running === 0 && this.completions.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get inFlight(): number {
    return this.running;
  }

  /** Stops arming; lets attempts in flight finish for up to drainMs, then cancels them. */
  async dispose(): Promise<void> {
    if (this.stopped) return this.idle();
    this.stopped = true;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    this.releasePending();
    if (this.running > 0) {
      let cut: NodeJS.Timeout | undefined;
      await Promise.race([
        this.drained(),
        new Promise<void>((r) => {
          cut = setTimeout(r, this.o.drainMs ?? 10_000);
        }),
      ]);
      clearTimeout(cut);
      this.aborted = true;
      this.o.invoker.abortAll();
      await this.drained();
    }
    this.flush();
  }

  private arm(): void {
    if (this.stopped) return;
    const due = this.o.repo.earliestDue();
    if (due === this.armedAt && this.timer) return;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = due;
    if (due === undefined) return;
    this.timer = this.o.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.armedAt = undefined;
        this.tick();
      },
      // Capped: Node fires a longer timeout (past 2^31 ms) at once; an early wake just re-arms.
      Math.min(due - this.lead - this.o.clock.now(), MAX_SLEEP_MS),
    );
  }

  /**
   * Claims every run due within the lead time in one transaction (the attempt is recorded as started
   * at its due time), builds each run's request, then sends each at its due time. A crash inside the
   * lead window leaves such a claim behind; the next start records it as ABORTED rather than risk
   * sending it twice.
   */
  private tick(): void {
    if (this.stopped) return;
    const { repo, clock } = this.o;
    const now = clock.now();
    const { rows, groups } = claimDue(repo, now, now + this.lead, this.batch);
    for (const [at, claims] of groups) {
      if (at <= now) {
        for (const c of claims) this.launch(c);
        continue;
      }
      for (const c of claims) c.prepared = this.o.invoker.prepare(attemptRequest(c));
      const p = this.pending.get(at);
      if (p) p.claims.push(...claims);
      else {
        const timer = clock.setTimeout(() => {
          const due = this.pending.get(at);
          this.pending.delete(at);
          for (const c of due?.claims ?? []) this.launch(c);
        }, at - clock.now()); // now, not the tick's start: claiming and preparing took a while
        this.pending.set(at, { timer, claims });
      }
    }
    if (rows >= this.batch) this.timer = clock.setTimeout(() => this.tick(), 0);
    else this.arm();
  }

  /** On stop, claims not yet sent go back to being due, so the next start sends them. */
  private releasePending(): void {
    const claims = [...this.pending.values()].flatMap((p) => {
      this.o.clock.clearTimeout(p.timer);
      return p.claims;
    });
    this.pending.clear();
    if (claims.length === 0) return;
    this.o.repo.tx(() => {
      for (const c of claims) this.o.repo.unclaim(c.row);
    });
  }

  /** Sends a claim's attempt now (its request as prepared ahead, or built now). */
  private launch(c: Claim): void {
    const { invoker, clock } = this.o;
    const prepared = c.prepared ?? invoker.prepare(attemptRequest(c));
    c.prepared = undefined;
    this.running++;
    // No closure per attempt: at 10,000 runs due at once, allocation (and tsx's named-function
    // wrapper) in this loop is what makes the last runs late.
    if (!(prepared instanceof Promise)) return invoker.fire(prepared, this.finished, c);
    void prepared.then((a) => {
      if (!this.aborted) return invoker.fire(a, this.finished, c);
      const now = clock.now();
      const cancelled = { ok: false, code: 'CANCELLED' as const, message: 'tarmac stopped' };
      this.finished({ ...cancelled, start: now, end: now, latencyMs: 0 }, c);
    });
  }

  private readonly finished = (outcome: AttemptOutcome, c: Claim): void => {
    this.running--;
    this.o.onAttempt?.(c.row.name, outcome.code, outcome.latencyMs);
    this.completions.push({ claim: c, outcome });
    this.queueFlush();
    if (this.running === 0) for (const w of this.drainWaiters.splice(0)) w();
  };

  private drained(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /**
   * Outcomes are written in batches: at once when few attempts are in flight; while many are (a burst
   * of due runs), at most every FLUSH_EVERY_MS, so the writes do not compete with sending the rest.
   */
  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    const go = (): void => {
      this.flushQueued = false;
      this.flush();
    };
    if (this.running > BUSY) setTimeout(go, FLUSH_EVERY_MS).unref();
    else setImmediate(go);
  }

  /** Writes finished attempts in one transaction, then re-arms. */
  private flush(): void {
    const batch = this.completions;
    this.completions = [];
    if (batch.length > 0) {
      try {
        this.o.repo.tx(() => {
          for (const { claim, outcome } of batch) recordOutcome(this.o.repo, this.o.history, claim, outcome);
        });
      } catch (e) {
        this.o.logger.error({ err: e }, 'scheduler: could not record attempt outcomes');
      }
      this.arm();
    }
    if (this.running === 0 && this.completions.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}

function attemptRequest(c: Claim): AttemptRequest {
  const { name, spec } = c.row;
  return {
    jobName: name,
    jobId: name.slice(name.lastIndexOf('/') + 1),
    scheduleTime: c.scheduleTime,
    timeZone: spec.timeZone,
    target: spec.httpTarget,
    deadlineMs: spec.attemptDeadlineMs,
  };
}
