import { existsSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadConfig, type ParsedConfig } from '../config/index.ts';
import { silentLogger } from '../shared/index.ts';
import {
  baseImageStatus,
  connectEngine,
  type ContainerEngine,
  missingPodmanPackages,
  probeHost,
  provisionBlocker,
  type EngineConnection,
} from '../runtime/index.ts';
import { splitArgs } from './engine.ts';

export interface Check {
  name: string;
  ok: boolean;
  /** Passes, but something works only partly (printed as WARN; the exit code stays 0). */
  warn?: boolean;
  detail: string;
  fix?: string;
}

const MIN_FREE_BYTES = 5 * 1024 ** 3;

function freeBytes(path: string): number {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  const s = statfsSync(p);
  return s.bavail * s.bsize;
}

/** Checks that need a reachable engine, in the order `tarmac doctor` prints them. */
async function engineChecks(engine: ContainerEngine): Promise<Check[]> {
  const info = await engine.info();
  const checks: Check[] = [
    {
      name: 'engine',
      ok: true,
      detail: `${info.name} ${info.version} (API ${info.apiVersion}, cgroup v${info.cgroupVersion})`,
    },
    {
      name: 'memory limits',
      ok: info.memoryLimit,
      detail: info.memoryLimit ? 'enforced (cgroup memory controller present)' : 'NOT enforced',
      fix: info.memoryLimit
        ? undefined
        : 'boot with cgroup_enable=memory (kernel command line) so memory limits kill containers',
    },
    {
      name: 'network mode',
      ok: info.name !== 'podman' || info.networkMode.startsWith('slirp4netns'),
      detail: `${info.networkMode}; host loopback inside containers: ${info.hostLoopbackAddress}`,
      fix: 'apt-get install slirp4netns',
    },
  ];
  for (const img of await baseImageStatus(engine)) {
    checks.push({
      name: `base image ${img.name}`,
      ok: img.present,
      detail: img.present ? `${img.ref}${img.current ? '' : ' (older recipe)'}` : `${img.ref} missing`,
      fix: img.present ? undefined : `tarmac images bootstrap ${img.name}`,
    });
  }
  return checks;
}

/**
 * Who answers on 127.0.0.1:80, where containers reach metadata.google.internal: a running tarmac
 * (its front marks its answers with x-tarmac-metadata-front), nobody (tarmac serve takes it when
 * root), or another program (then only GCE_METADATA_HOST reaches the metadata server).
 */
async function metadataPort80Check(): Promise<Check> {
  const name = 'metadata.google.internal:80';
  const fallback = 'containers still reach the metadata server through GCE_METADATA_HOST';
  const res = await fetch('http://127.0.0.1:80/', { signal: AbortSignal.timeout(2000) }).then(
    (r) => r,
    (e: unknown) => e as Error,
  );
  if (res instanceof Response) {
    if (res.headers.get('x-tarmac-metadata-front') === '1')
      return { name, ok: true, detail: 'served by a running tarmac on 127.0.0.1:80' };
    return {
      name,
      ok: true,
      warn: true,
      detail: `127.0.0.1:80 is held by another program (${res.headers.get('server') ?? 'unknown'}); ${fallback}`,
      fix: 'stop or move that program, then restart tarmac serve',
    };
  }
  const root = process.getuid?.() === 0;
  if (root) return { name, ok: true, detail: 'free: tarmac serve listens on 127.0.0.1:80' };
  return {
    name,
    ok: true,
    warn: true,
    detail: `binding port 80 needs root; ${fallback}`,
    fix: 'run tarmac serve as root (or sysctl net.ipv4.ip_unprivileged_port_start=80)',
  };
}

const ENGINE_FIX =
  'run `tarmac serve` as root on Debian/Ubuntu to provision Podman, or start Docker/Podman and set TARMAC_ENGINE_HOST';

/**
 * The engine `tarmac serve` would use. A running one is checked as it is; with none running and
 * provisioning allowed, Podman's service is started for the checks (as `tarmac serve` and
 * `tarmac images bootstrap` start it) and stopped after them; Podman not installed yet is only
 * reported, since installing packages is `tarmac serve`'s step, not a check's.
 */
async function reachEngine(config: ParsedConfig): Promise<{ check: Check; conn?: EngineConnection }> {
  const name = 'engine reachable';
  const failed = (e: unknown): { check: Check } => ({
    check: { name, ok: false, detail: (e as Error).message.split('. Fix:')[0]!, fix: ENGINE_FIX },
  });
  try {
    const conn = await connectEngine(
      { ...config, engine: { ...config.engine, provision: false } },
      silentLogger(),
    );
    return { check: { name, ok: true, detail: conn.host }, conn };
  } catch (e) {
    if (config.engine.host || !config.engine.provision) return failed(e);
  }
  const probe = probeHost();
  const blocker = provisionBlocker(probe);
  if (blocker) return failed(blocker);
  const missing = missingPodmanPackages(probe);
  if (missing.length > 0) {
    return {
      check: {
        name,
        ok: true,
        warn: true,
        detail: `no engine yet: tarmac serve installs ${missing.join(' ')} with apt-get and starts Podman`,
        fix: 'run `tarmac serve` once (or `tarmac images bootstrap`), then `tarmac doctor` again',
      },
    };
  }
  try {
    const conn = await connectEngine(config, silentLogger());
    const detail = `${conn.host} (Podman service started by tarmac for these checks, as tarmac serve does)`;
    return { check: { name, ok: true, detail }, conn };
  } catch (e) {
    return failed(e);
  }
}

/** Runs every check; never throws for a failed check, only reports it. */
export async function runDoctor(flags: Record<string, string>): Promise<Check[]> {
  const config = loadConfig({ flags });
  const checks: Check[] = [];
  let conn: EngineConnection | undefined;
  try {
    const reached = await reachEngine(config);
    checks.push(reached.check);
    conn = reached.conn;
    if (conn) checks.push(...(await engineChecks(conn.engine)));
  } finally {
    await conn?.dispose();
  }
  if (config.metadataPort80) checks.push(await metadataPort80Check());
  const free = freeBytes(config.home);
  checks.push({
    name: 'free disk',
    ok: free >= MIN_FREE_BYTES,
    detail: `${(free / 1024 ** 3).toFixed(1)} GiB free for ${config.home}`,
    fix: free >= MIN_FREE_BYTES ? undefined : 'free at least 5 GiB (images, builds, registry blobs)',
  });
  return checks;
}

/** `tarmac doctor [--format json]`: exit 0 when every check passes, 1 otherwise. */
export async function doctorCommand(argv: string[]): Promise<number> {
  const { flags } = splitArgs(argv);
  const { format, ...config } = flags;
  const checks = await runDoctor(config);
  const ok = checks.every((c) => c.ok);
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify({ ok, checks }, null, 2)}\n`);
  } else {
    for (const c of checks) {
      const mark = !c.ok ? 'FAIL' : c.warn ? 'WARN' : 'PASS';
      process.stdout.write(`${mark}  ${c.name.padEnd(30)} ${c.detail}\n`);
      if ((!c.ok || c.warn) && c.fix) process.stdout.write(`      fix: ${c.fix}\n`);
    }
  }
  return ok ? 0 : 1;
}
