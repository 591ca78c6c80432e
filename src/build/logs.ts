import { EventEmitter } from 'node:events';
import { appendFileSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Build logs as plain text files (TARMAC_HOME/builds/logs/log-ID.txt, the name Cloud Build uses in
 * its logs bucket), with in-process notification so readers can follow a running build.
 */
export class BuildLogs {
  private readonly events = new EventEmitter();

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.events.setMaxListeners(0);
  }

  path(id: string): string {
    return join(this.dir, `log-${id}.txt`);
  }

  /** Appends lines (each gets a newline) and wakes followers. */
  append(id: string, ...lines: string[]): void {
    appendFileSync(this.path(id), lines.map((l) => `${l}\n`).join(''));
    this.events.emit(id);
  }

  /** Wakes followers so they notice the build has ended. */
  ended(id: string): void {
    this.events.emit(id);
  }

  /** Wakes every follower (shutdown: they re-check whether to stop). */
  wakeAll(): void {
    for (const n of this.events.eventNames()) this.events.emit(n);
  }

  /** The log from byte `offset` on (empty when there is none yet). */
  read(id: string, offset = 0): Buffer {
    const p = this.path(id);
    if (!existsSync(p)) return Buffer.alloc(0);
    const fd = openSync(p, 'r');
    try {
      const size = fstatSync(fd).size;
      if (offset >= size) return Buffer.alloc(0);
      const buf = Buffer.alloc(size - offset);
      const n = readSync(fd, buf, 0, buf.length, offset);
      return buf.subarray(0, n);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Yields the log from `offset` as it grows, until `isDone()` says the build has ended and
   * everything written has been read, or `signal` aborts.
   */
  async *follow(
    id: string,
    offset: number,
    isDone: () => boolean,
    signal?: AbortSignal,
  ): AsyncGenerator<Buffer> {
    let pos = offset;
    for (;;) {
      if (signal?.aborted) return;
      const done = isDone();
      const chunk = this.read(id, pos);
      if (chunk.length > 0) {
        pos += chunk.length;
        yield chunk;
        continue;
      }
      if (done) return;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.events.off(id, wake);
          signal?.removeEventListener('abort', wake);
          resolve();
        };
        this.events.on(id, wake);
        signal?.addEventListener('abort', wake);
      });
    }
  }
}
