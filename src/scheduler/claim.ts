import type { HistoryRepo } from './history.ts';
import { nextRun } from './next.ts';
import { recordOutcome, type Claim } from './record.ts';
import type { JobRepo, JobRow } from './repo.ts';

/**
 * Claims every run due before `until` (at most `batch` of them) in one transaction: new runs and
 * retries whose time has come. Returns the claims grouped by the instant each is to be sent (a run
 * already due is sent at `now`).
 */
export function claimDue(
  repo: JobRepo,
  now: number,
  until: number,
  batch: number,
): { rows: number; groups: Map<number, Claim[]> } {
  const rows = repo.due(until, batch);
  // Jobs on the same schedule share their next run: computed once per schedule, zone and minute.
  const memo = new Map<string, number | null>();
  const next = (row: JobRow, after: number): number | null => {
    const key = `${row.spec.schedule}\n${row.spec.timeZone}\n${Math.floor(after / 60_000)}`;
    let v = memo.get(key);
    if (v === undefined) memo.set(key, (v = nextRun(row.spec.schedule, row.spec.timeZone, after) ?? null));
    return v;
  };
  const groups = new Map<number, Claim[]>();
  const add = (at: number, c: Claim): void => {
    const g = groups.get(at);
    if (g) g.push(c);
    else groups.set(at, [c]);
  };
  repo.tx(() => {
    for (const row of rows) {
      if (row.run === null) {
        const s = row.nextRunAt!;
        const at = Math.max(s, now);
        if (repo.claimNew(row.name, s, at, next(row, at))) {
          add(at, { row, scheduleTime: s, attempt: 1, firstAttemptAt: at, manual: false });
        }
      } else {
        const r = row.run;
        const at = Math.max(r.retryAt ?? now, now);
        if (repo.claimRetry(row.name, r.scheduleTime, at)) {
          add(at, {
            row,
            scheduleTime: r.scheduleTime,
            attempt: r.attempts + 1,
            firstAttemptAt: r.firstAttemptAt,
            manual: false,
          });
        }
      }
    }
  });
  return { rows: rows.length, groups };
}

/** Records every attempt a previous stop cut off as ABORTED (its outcome is unknown). */
export function abortInFlight(repo: JobRepo, history: HistoryRepo, now: number): void {
  repo.tx(() => {
    for (const row of repo.inFlight()) {
      const run = row.run!;
      const claim: Claim = {
        row,
        scheduleTime: run.scheduleTime,
        attempt: run.attempts,
        firstAttemptAt: run.firstAttemptAt,
        manual: false,
      };
      recordOutcome(repo, history, claim, {
        ok: false,
        code: 'ABORTED',
        message: 'tarmac stopped while this attempt was in flight; its outcome is unknown',
        start: row.lastAttemptTime ?? now,
        end: now,
        latencyMs: now - (row.lastAttemptTime ?? now),
      });
    }
  });
}
