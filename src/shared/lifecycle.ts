/** Every long-lived part: start(), a ready promise, and an idempotent dispose() that drains. */
export interface Lifecycle {
  start(): Promise<void>;
  dispose(): Promise<void>;
}

/** Runs disposers in reverse order of registration, once, collecting errors. */
export class DisposeStack {
  private readonly fns: (() => Promise<void> | void)[] = [];
  private done: Promise<void> | undefined;

  push(fn: () => Promise<void> | void): void {
    this.fns.push(fn);
  }

  dispose(): Promise<void> {
    this.done ??= (async () => {
      const errors: unknown[] = [];
      for (const fn of this.fns.reverse()) {
        try {
          await fn();
        } catch (e) {
          errors.push(e);
        }
      }
      if (errors.length === 1) throw errors[0];
      if (errors.length > 1) throw new AggregateError(errors, 'several parts failed to stop');
    })();
    return this.done;
  }
}
