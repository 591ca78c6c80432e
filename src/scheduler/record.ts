import { RPC_CODE } from '../shared/index.ts';
import type { RpcStatus } from '../model/index.ts';
import { nextAttemptAt } from './backoff.ts';
import type { HistoryRepo } from './history.ts';
import type { Attempt, AttemptOutcome } from './invoker.ts';
import type { JobRepo, JobRow } from './repo.ts';

/** One attempt the loop owns: which run of which job, and its request once prepared. */
export interface Claim {
  row: JobRow;
  scheduleTime: number;
  attempt: number;
  firstAttemptAt: number;
  manual: boolean;
  /** Built between the claim and the due time (a Promise while its token is minted). */
  prepared?: Attempt | Promise<Attempt>;
}

/**
 * Writes a finished attempt (inside the caller's transaction): its history row, then the job's run:
 * ended, or given its next retry time. Manual runs only set the job's status.
 */
export function recordOutcome(repo: JobRepo, history: HistoryRepo, c: Claim, outcome: AttemptOutcome): void {
  history.add({
    job: c.row.name,
    scheduleTime: c.scheduleTime,
    attempt: c.attempt,
    manual: c.manual,
    startTime: outcome.start,
    endTime: outcome.end,
    httpStatus: outcome.httpStatus ?? null,
    latencyMs: outcome.latencyMs,
    code: outcome.code,
    error: outcome.ok ? null : outcome.message,
  });
  if (c.manual) {
    const status: RpcStatus = outcome.ok ? {} : rpcStatus(outcome);
    return repo.setStatus(c.row.name, status);
  }
  // A success ends the run (if it is still this run: endRun checks the schedule time), with no
  // need to read the job back: the common case, 10,000 times a minute in bench/scheduler.
  if (outcome.ok) return repo.endRun(c.row.name, c.scheduleTime, {});
  const row = repo.get(c.row.name);
  if (!row || row.run?.scheduleTime !== c.scheduleTime) return; // deleted or moved on meanwhile
  const retryAt =
    row.state !== 'ENABLED'
      ? undefined
      : nextAttemptAt(row.spec.retry, {
          attempts: c.attempt,
          firstAttemptAt: c.firstAttemptAt,
          failedAt: outcome.end,
          nextScheduledAt: row.nextRunAt ?? undefined,
        });
  if (retryAt === undefined) repo.endRun(row.name, c.scheduleTime, rpcStatus(outcome));
  else repo.scheduleRetry(row.name, c.scheduleTime, retryAt, rpcStatus(outcome));
}

function rpcStatus(o: AttemptOutcome): RpcStatus {
  return { code: RPC_CODE[o.code as keyof typeof RPC_CODE], message: o.message };
}
