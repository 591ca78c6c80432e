import type { Clock } from '../shared/index.ts';

/**
 * Lets revision starts go before the stops of superseded revisions. Stopping an instance is ~200 ms of
 * engine work (SIGTERM, network and mount teardown, removal); on a small host a start that overlaps it
 * is slowed by about as much (bench/deploy: back-to-back updates p50 441 ms, 285 ms once the previous
 * revision had stopped). So a superseded revision's stop waits until no start has been in flight for
 * `quietMs`, at most `maxMs`; a deletion or shutdown expedites it. Knative and Cloud Run likewise keep
 * an old revision's instances for a while after its traffic has moved.
 */
export class RetireGate {
  private active = 0;
  private lastActivity = Number.NEGATIVE_INFINITY;
  private readonly held = new Map<string, () => void>();

  constructor(
    private readonly clock: Clock,
    private readonly quietMs: number,
    private readonly maxMs: number,
  ) {}

  /** A revision start began; call the returned function once it ended (either way). */
  started(): () => void {
    this.active++;
    this.lastActivity = this.clock.now();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.active--;
      this.lastActivity = this.clock.now();
    };
  }

  /** Resolves once the stop of `key` may go: starts quiet for long enough, the deadline, or expedited. */
  async hold(key: string): Promise<void> {
    if (this.quietMs <= 0) return;
    const deadline = this.clock.now() + this.maxMs;
    let expedited = false;
    let wake = (): void => undefined;
    this.held.set(key, () => {
      expedited = true;
      wake();
    });
    try {
      for (;;) {
        const now = this.clock.now();
        const quietAt = (this.active > 0 ? now : this.lastActivity) + this.quietMs;
        if (expedited || now >= deadline || (this.active === 0 && now >= quietAt)) return;
        await new Promise<void>((resolve) => {
          const timer = this.clock.setTimeout(resolve, Math.max(1, Math.min(deadline, quietAt) - now));
          wake = () => {
            this.clock.clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      this.held.delete(key);
    }
  }

  /** Lets a held stop go now. */
  expedite(key: string): void {
    this.held.get(key)?.();
  }

  /** Lets every held stop go now (shutdown). */
  expediteAll(): void {
    for (const release of [...this.held.values()]) release();
  }
}
