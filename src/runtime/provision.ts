import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../shared/index.ts';
import { engineError } from './errors.ts';
import { podmanSettings, probeHost, type HostProbe } from './host.ts';

export const PODMAN_PACKAGES = ['podman', 'runc', 'slirp4netns', 'mmdebstrap'];
export const PODMAN_SETTINGS_FILE = '/etc/containers/containers.conf.d/50-tarmac.conf';

/** A `podman system service` tarmac started (or adopted after a crash) and stops on dispose. */
export interface OwnService {
  pid: number;
  stop(): Promise<void>;
}

/** Why provisioning cannot work on this host, as one message with the fix; undefined when it can. */
export function provisionBlocker(probe: HostProbe): Error | undefined {
  const alternative = 'or start Docker / `podman system service` yourself and set TARMAC_ENGINE_HOST';
  if (probe.uid !== 0) {
    return engineError(
      'ENGINE_NEEDS_ROOT',
      `no container engine is reachable and tarmac can only install one as root. Fix: run as root (sudo), ${alternative}.`,
    );
  }
  if (!probe.apt) {
    return engineError(
      'ENGINE_NO_APT',
      `no container engine is reachable and this is not a Debian/Ubuntu host with apt-get. Fix: install Podman ` +
        `(podman, runc, slirp4netns) with your package manager, ${alternative}.`,
    );
  }
  if (!probe.memoryCgroup) {
    return engineError(
      'ENGINE_NO_MEMORY_CGROUP',
      'the kernel has no cgroup memory controller, so container memory limits cannot be enforced. Fix: boot with ' +
        '`cgroup_enable=memory` (e.g. add it to GRUB_CMDLINE_LINUX and run update-grub), or enable it for this VM/container.',
    );
  }
  return undefined;
}

function run(cmd: string, args: string[], logger: Logger): void {
  const r = spawnSync(cmd, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0) {
    const out = `${r.stderr?.toString() ?? ''}${r.stdout?.toString() ?? ''}`
      .trim()
      .split('\n')
      .slice(-5)
      .join('\n');
    throw engineError(
      'ENGINE_PROVISION_FAILED',
      `${cmd} ${args.join(' ')} failed: ${out || r.error?.message || ''}`,
    );
  }
  logger.debug({ cmd, args }, 'ran');
}

/** The Podman packages not installed here (each package's command has its name). */
export function missingPodmanPackages(probe: HostProbe): string[] {
  return PODMAN_PACKAGES.filter((p) => !probe.which(p));
}

/** Installs the Podman packages with apt-get when any is missing, saying so on stderr. */
export function installPodman(probe: HostProbe, logger: Logger): void {
  const missing = missingPodmanPackages(probe);
  if (missing.length === 0) return;
  process.stderr.write(`tarmac: no container engine found; installing ${missing.join(' ')} with apt-get\n`);
  run('apt-get', ['update', '-qq'], logger);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...PODMAN_PACKAGES], logger);
}

/** Writes tarmac's containers.conf.d settings unless an administrator's file is already there. */
export function writePodmanSettings(probe: HostProbe, file = PODMAN_SETTINGS_FILE): void {
  if (existsSync(file)) return;
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, podmanSettings(probe));
  process.stderr.write(`tarmac: wrote Podman settings to ${file}\n`);
}

function pidFile(home: string): string {
  return join(home, 'engine', 'podman.pid');
}

function isPodman(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('podman');
  } catch {
    return false;
  }
}

function service(home: string, pid: number): OwnService {
  return {
    pid,
    stop: async () => {
      if (isPodman(pid)) {
        process.kill(pid, 'SIGTERM');
        const end = Date.now() + 10_000;
        while (isPodman(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
        if (isPodman(pid)) process.kill(pid, 'SIGKILL');
      }
      rmSync(pidFile(home), { force: true });
      rmSync(join(home, 'engine', 'podman.sock'), { force: true });
    },
  };
}

/** The service a previous tarmac on this home started (e.g. before a SIGKILL), if it still runs. */
export function adoptOwnService(home: string): OwnService | undefined {
  try {
    const pid = Number(readFileSync(pidFile(home), 'utf8').trim());
    return pid > 0 && isPodman(pid) ? service(home, pid) : undefined;
  } catch {
    return undefined;
  }
}

/** Makes Podman available (root, Debian/Ubuntu) and starts its API service on TARMAC_HOME/engine/podman.sock. */
export async function provisionPodman(
  home: string,
  logger: Logger,
  probe = probeHost(),
): Promise<OwnService> {
  const blocker = provisionBlocker(probe);
  if (blocker) throw blocker;
  installPodman(probe, logger);
  writePodmanSettings(probe);
  const dir = join(home, 'engine');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const sock = join(dir, 'podman.sock');
  rmSync(sock, { force: true });
  const log = openSync(join(dir, 'podman-service.log'), 'a');
  // Own process group: a Ctrl-C in the terminal must not stop the engine before tarmac drains.
  // Started in its own directory: conmon leaves files in its working directory (an empty `oom`
  // after a container's OOM kill), which must not land where the user ran tarmac.
  const child = spawn(
    probe.which('podman') ?? 'podman',
    ['system', 'service', '--time=0', `unix://${sock}`],
    {
      cwd: dir,
      detached: true,
      stdio: ['ignore', log, log],
    },
  );
  closeSync(log);
  child.unref();
  if (!child.pid) throw engineError('ENGINE_PROVISION_FAILED', 'could not start `podman system service`');
  writeFileSync(pidFile(home), String(child.pid));
  process.stderr.write(`tarmac: started podman system service (pid ${child.pid}) on unix://${sock}\n`);
  const end = Date.now() + 30_000;
  while (!existsSync(sock)) {
    if (child.exitCode !== null || Date.now() > end) {
      const tail = readFileSync(join(dir, 'podman-service.log'), 'utf8')
        .trim()
        .split('\n')
        .slice(-3)
        .join(' ');
      await service(home, child.pid).stop();
      throw engineError('ENGINE_PROVISION_FAILED', `podman system service did not come up: ${tail}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return service(home, child.pid);
}
