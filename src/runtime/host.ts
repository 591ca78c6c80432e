import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Facts about the host that decide whether tarmac can provision an engine; a seam for tests. */
export interface HostProbe {
  uid: number;
  /** apt-get on PATH and /etc/debian_version present. */
  apt: boolean;
  /** cgroup v2 `memory` controller or a cgroup v1 memory hierarchy. */
  memoryCgroup: boolean;
  which(cmd: string): string | undefined;
  /** Hard limits from /proc/self/limits (undefined = unlimited or unknown). */
  hardLimits: { nofile?: number; nproc?: number };
}

export function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    const p = join(dir, cmd);
    if (dir && existsSync(p)) return p;
  }
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/bin'])
    if (existsSync(join(dir, cmd))) return join(dir, cmd);
  return undefined;
}

export function memoryCgroupPresent(): boolean {
  try {
    const v2 = readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8');
    if (v2.split(/\s+/).includes('memory')) return true;
  } catch {
    // not cgroup v2 unified
  }
  return existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes');
}

function hardLimits(): { nofile?: number; nproc?: number } {
  const out: { nofile?: number; nproc?: number } = {};
  try {
    for (const line of readFileSync('/proc/self/limits', 'utf8').split('\n')) {
      const m = /^Max (open files|processes)\s+\S+\s+(\S+)/.exec(line);
      if (!m || m[2] === 'unlimited') continue;
      out[m[1] === 'open files' ? 'nofile' : 'nproc'] = Number(m[2]);
    }
  } catch {
    // not Linux: leave unknown
  }
  return out;
}

export function probeHost(): HostProbe {
  return {
    uid: process.getuid?.() ?? -1,
    apt: which('apt-get') !== undefined && existsSync('/etc/debian_version'),
    memoryCgroup: memoryCgroupPresent(),
    which,
    hardLimits: hardLimits(),
  };
}

/** containers.conf settings tarmac needs here: runc (crun fails on hybrid cgroups), ulimits within hard limits. */
export function podmanSettings(probe: Pick<HostProbe, 'hardLimits'>): string {
  const nofile = Math.min(4096, probe.hardLimits.nofile ?? 4096);
  const nproc = Math.min(4096, probe.hardLimits.nproc ?? 4096);
  return [
    '# Written by tarmac: runc (crun fails with hybrid cgroups), ulimits at or below the hard limits.',
    '[containers]',
    `default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]`,
    '[engine]',
    'runtime = "runc"',
    '',
  ].join('\n');
}
