import { closeSync, constants, openSync, readSync } from 'node:fs';

/**
 * Finds kernel OOM kills of containers in the kernel log (/dev/kmsg). Podman with runc on cgroup v1
 * (these machines) does not report OOMKilled: conmon misses the event, though the kernel killed
 * the process in the container's memory cgroup. The kernel's `oom-kill:` record names that cgroup
 * (`.../libpod-<id>` or `docker-<id>`), which identifies the container. Reads are non-blocking
 * and on demand, so no thread waits on the device.
 */
export class KernelOomLog {
  private fd: number | undefined;
  private unavailable = false;
  /** Container id -> the cgroup's memory usage (bytes) the kernel reported when it killed. */
  private readonly killed = new Map<string, number | undefined>();
  private lastUsageBytes: number | undefined;
  private readonly buf = Buffer.alloc(8192);

  /** Whether the kernel log says the container with this full id was OOM-killed. */
  wasOomKilled(id: string): boolean {
    this.drain();
    return this.killed.has(id);
  }

  /** The memory usage the kernel printed for the container's cgroup at the kill, when known. */
  usageAtKill(id: string): number | undefined {
    this.drain();
    return this.killed.get(id);
  }

  private drain(): void {
    if (this.unavailable) return;
    if (this.fd === undefined) {
      try {
        this.fd = openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK);
      } catch {
        this.unavailable = true;
        return;
      }
    }
    for (let i = 0; i < 100_000; i++) {
      let n: number;
      try {
        n = readSync(this.fd, this.buf, 0, this.buf.length, null);
      } catch (e) {
        // EPIPE: records were overwritten before we read them; the next read continues. EAGAIN: done.
        if ((e as NodeJS.ErrnoException).code === 'EPIPE') continue;
        return;
      }
      if (n <= 0) return;
      const rec = this.buf.toString('utf8', 0, n);
      this.record(rec);
    }
  }

  /**
   * One kmsg record. The kernel prints the memory cgroup's `memory: usage NkB, limit NkB` line
   * before the `oom-kill:` line naming the cgroup, both in the same OOM report.
   */
  record(rec: string): void {
    const usage = /;memory: usage (\d+)kB/.exec(rec);
    if (usage) {
      this.lastUsageBytes = Number(usage[1]) * 1024;
      return;
    }
    if (!rec.includes('oom-kill:')) return;
    const m = /oom_memcg=[^,]*?(?:libpod-|docker-|crio-)?([0-9a-f]{64})/.exec(rec);
    if (m) this.killed.set(m[1]!, this.lastUsageBytes);
    this.lastUsageBytes = undefined;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
