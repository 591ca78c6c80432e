import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { joinUsers, leaveUsers, processIdentity, withLock } from './engine-users.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tarmac-engine-users-'));
  dirs.push(d);
  return d;
}

/** A process that runs until killed, and a way to SIGKILL it and wait for it to be gone. */
async function liveProcess(): Promise<{ pid: number; kill: () => Promise<void> }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await new Promise((r) => child.once('spawn', r));
  const exited = new Promise((r) => child.once('exit', r));
  return {
    pid: child.pid!,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

// The shared test engine (test/global-setup.ts) is stopped only by the last of concurrent runs.
describe('test engine users', () => {
  it('stops only when the last live run leaves', async () => {
    const dir = join(tempDir(), 'users');
    const other = await liveProcess();
    try {
      joinUsers(dir, process.pid);
      joinUsers(dir, other.pid);
      expect(leaveUsers(dir, process.pid)).toBe(false);
      joinUsers(dir, process.pid);
      expect(leaveUsers(dir, other.pid)).toBe(false);
      expect(leaveUsers(dir, process.pid)).toBe(true);
    } finally {
      await other.kill();
    }
  });

  it('does not count a run killed with SIGKILL, nor a pid reused by another process', async () => {
    const dir = join(tempDir(), 'users');
    const killed = await liveProcess();
    joinUsers(dir, killed.pid);
    await killed.kill();
    joinUsers(dir, process.pid);
    // A file naming a live pid with another start time: that pid now belongs to someone else.
    writeFileSync(join(dir, String(process.ppid)), `${process.ppid}:1`);
    expect(leaveUsers(dir, process.pid)).toBe(true);
    expect(existsSync(join(dir, String(killed.pid)))).toBe(false);
  });

  it('serialises holders and takes over a lock whose holder was killed', async () => {
    const lock = join(tempDir(), 'lock');
    const order: string[] = [];
    const first = withLock(lock, async () => {
      order.push('first in');
      await new Promise((r) => setTimeout(r, 300));
      order.push('first out');
    });
    await new Promise((r) => setTimeout(r, 50));
    await withLock(lock, async () => {
      order.push('second');
    });
    await first;
    expect(order).toEqual(['first in', 'first out', 'second']);
    expect(existsSync(lock)).toBe(false);

    const killed = await liveProcess();
    const identity = processIdentity(killed.pid)!;
    await killed.kill();
    writeFileSync(lock, identity);
    const started = Date.now();
    expect(await withLock(lock, async () => readFileSync(lock, 'utf8'))).toBe(processIdentity(process.pid));
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
