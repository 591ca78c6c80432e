import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Test runs (vitest processes) sharing the Podman service one of them provisioned under the shared
 * test home. Each run registers itself in `dir` (one file per run, named by pid, holding the
 * process's start time so a reused pid is not taken for the dead run); the service is stopped only
 * by the last run out. A run killed with SIGKILL leaves its file behind; the next run to look finds
 * the process gone and drops it, so such a run delays nothing for long and breaks nothing.
 *
 * Joining (with connecting) and leaving (with stopping) happen under `withLock`, so a run cannot
 * connect to a service another run is stopping at that moment.
 */

/** A process's identity: pid plus its start time (field 22 of /proc/PID/stat); undefined when gone. */
export function processIdentity(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return `${pid}:${fields[19]}`;
  } catch {
    return undefined;
  }
}

function alive(file: string, dir: string): boolean {
  try {
    const recorded = readFileSync(join(dir, file), 'utf8').trim();
    return processIdentity(Number(file)) === recorded;
  } catch {
    return false;
  }
}

/** Registers run `pid` as a user of the shared service. */
export function joinUsers(dir: string, pid = process.pid): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, String(pid)), processIdentity(pid) ?? String(pid));
}

/** Unregisters run `pid`, drops the files of runs that are gone; true when no live user remains. */
export function leaveUsers(dir: string, pid = process.pid): boolean {
  rmSync(join(dir, String(pid)), { force: true });
  let others = 0;
  let files: string[] = [];
  try {
    files = readdirSync(dir);
  } catch {
    return true;
  }
  for (const f of files) {
    if (alive(f, dir)) others += 1;
    else rmSync(join(dir, f), { force: true });
  }
  return others === 0;
}

/** The lock's holder died (or died between creating the file and writing its name into it). */
function holderGone(file: string, holder: string): boolean {
  if (holder === '') {
    try {
      return Date.now() - statSync(file).mtimeMs > 5_000;
    } catch {
      return false;
    }
  }
  return processIdentity(Number(holder.split(':')[0])) !== holder;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `fn` holding the lock file `file` (created exclusively; a lock whose holder is gone, e.g.
 * SIGKILLed, is taken over). Gives up waiting after `timeoutMs` and runs anyway, saying so.
 */
export async function withLock<T>(file: string, fn: () => Promise<T>, timeoutMs = 180_000): Promise<T> {
  const me = processIdentity(process.pid) ?? String(process.pid);
  const end = Date.now() + timeoutMs;
  let held = false;
  while (!held) {
    try {
      writeFileSync(file, me, { flag: 'wx' });
      held = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder = '';
      try {
        holder = readFileSync(file, 'utf8').trim();
      } catch {
        continue; // Released between the two calls.
      }
      if (holderGone(file, holder)) {
        rmSync(file, { force: true });
      } else if (Date.now() > end) {
        process.stderr.write(`test engine: lock ${file} still held by ${holder}; going on without it\n`);
        break;
      } else {
        await sleep(100);
      }
    }
  }
  try {
    return await fn();
  } finally {
    if (held) rmSync(file, { force: true });
  }
}
