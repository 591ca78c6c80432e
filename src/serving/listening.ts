import { readFile } from 'node:fs/promises';

/**
 * Reads a container's listening sockets from the host: /proc/PID/net/tcp{,6} of its init process
 * shows its own network namespace. With slirp4netns the host side of a published port accepts before
 * the app listens, so a connect from the host proves nothing; the namespace's LISTEN entry does, at
 * the cost of a file read instead of a held connection. Only usable when the engine runs on this
 * host in the same PID namespace, which `open` checks through the process's cgroup naming the container.
 */
export class NetnsPorts {
  private constructor(readonly pid: number) {}

  /** A reader for the container's namespace, or undefined when this host cannot see it. */
  static async open(pid: number | undefined, containerId: string): Promise<NetnsPorts | undefined> {
    if (!pid || containerId.length < 12 || process.platform !== 'linux') return undefined;
    try {
      const cgroup = await readFile(`/proc/${pid}/cgroup`, 'utf8');
      return cgroup.includes(containerId) ? new NetnsPorts(pid) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Whether some address in the namespace listens on TCP `port`; false once the process is gone. */
  listening(port: number): Promise<boolean> {
    return this.find(port, false);
  }

  /** Whether the app listens on `port` on every address (0.0.0.0 or ::), so 127.0.0.1 reaches it too. */
  listeningEverywhere(port: number): Promise<boolean> {
    return this.find(port, true);
  }

  private async find(port: number, wildcard: boolean): Promise<boolean> {
    const suffix = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
    for (const file of ['tcp', 'tcp6']) {
      let text: string;
      try {
        text = await readFile(`/proc/${this.pid}/net/${file}`, 'latin1');
      } catch {
        continue;
      }
      if (hasListener(text, suffix, wildcard)) return true;
    }
    return false;
  }
}

/**
 * Whether a /proc/net/tcp table has a LISTEN (0A) row whose local address ends with `suffix`
 * (`wildcard`: and whose address is all zeros, 0.0.0.0 or ::).
 */
export function hasListener(table: string, suffix: string, wildcard = false): boolean {
  let at = table.indexOf('\n');
  while (at !== -1 && at < table.length) {
    const next = table.indexOf('\n', at + 1);
    const line = table.slice(at + 1, next === -1 ? undefined : next);
    const f = line.trim().split(/\s+/);
    if (f.length > 3 && f[3] === '0A' && f[1]!.endsWith(suffix)) {
      if (!wildcard || /^0+$/.test(f[1]!.slice(0, -suffix.length))) return true;
    }
    at = next;
  }
  return false;
}
