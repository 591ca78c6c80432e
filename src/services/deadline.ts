import type { RevisionReadiness } from '../model/index.ts';
import type { Clock, TimerHandle } from '../shared/index.ts';

/**
 * Cloud Run fails a revision that does not become ready within its progress deadline (Knative's
 * progressDeadline, 600 s by default); the data plane then retires it like any failed revision.
 */
export function withProgressDeadline(
  clock: Clock,
  ms: number,
  started: Promise<RevisionReadiness>,
  name: string,
): Promise<RevisionReadiness> {
  let timer: TimerHandle | undefined;
  const expired = new Promise<RevisionReadiness>((resolve) => {
    timer = clock.setTimeout(
      () =>
        resolve({
          ready: false,
          reason: 'PROGRESS_DEADLINE_EXCEEDED',
          message: `Revision '${name}' did not become ready within the progress deadline of ${ms / 1000} s.`,
          logTail: [],
        }),
      ms,
    );
  });
  return Promise.race([started, expired]).finally(() => {
    if (timer !== undefined) clock.clearTimeout(timer);
  });
}
