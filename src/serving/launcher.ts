import type { InstanceIdentity, ProbeSpec, RevisionRuntimeSpec } from '../model/index.ts';
import type { ContainerEngine, RegistryAuth } from '../runtime/index.ts';
import { TarmacError, isTarmacError, sleep, type Clock, type Logger } from '../shared/index.ts';
import type { AddressPool } from './addresses.ts';
import { instanceContainerSpec, type Instance, type InstanceExit } from './instance.ts';
import { followInstanceLogs, type ServingObserver } from './observer.ts';
import { NetnsPorts } from './listening.ts';
import { httpProbe, tcpProbe } from './probe.ts';

/** What identity offers serving: each instance's source address and who it runs as. */
export interface InstanceRegistry {
  registerInstance(address: string, info: InstanceIdentity): void;
  unregisterInstance(address: string): void;
}

export type Severity = 'INFO' | 'WARNING' | 'ERROR';

/** A system log line for a revision (instance started, OOM, probe failures, ...). */
export type SystemLog = (revision: string, severity: Severity, text: string) => void;

export interface LauncherDeps {
  engine: ContainerEngine;
  clock: Clock;
  logger: Logger;
  addresses: AddressPool;
  /** Labels every instance container carries (managed marker, owner). */
  labels: Record<string, string>;
  networkMode: string;
  hostLoopback: string;
  hostsFile: string | undefined;
  metadataHost: () => string | undefined;
  /** The control-plane API as instances reach it (http://10.0.2.2:PORT), once it listens. */
  apiEndpoint: () => string | undefined;
  /** Credentials for pulling an image again (the built-in registry asks for them). */
  pullAuth?: (image: string) => Promise<RegistryAuth | undefined>;
  registry: InstanceRegistry | undefined;
  systemLog: SystemLog;
  observer: ServingObserver | undefined;
  /** Container id -> instance, so engine events find their instance. */
  byContainer: Map<string, Instance>;
  /** Teardowns in progress (stop with grace, then remove): shutdown waits for them, so no container is left. */
  teardowns?: Set<Promise<void>>;
  /** ServingOptions.dialInNamespace. */
  dialInNamespace?: boolean;
}

export const LABEL_REVISION = 'dev.tarmac.revision';
export const LABEL_SERVICE = 'dev.tarmac.service';
export const KIND_INSTANCE = 'instance';
const MAX_STARTUP_MS = 240_000;

/** Default startup probe: TCP on the container port, 240 s to start listening. */
export function startupProbe(spec: RevisionRuntimeSpec): ProbeSpec {
  return (
    spec.startupProbe ?? {
      initialDelaySeconds: 0,
      timeoutSeconds: 240,
      periodSeconds: 240,
      failureThreshold: 1,
      tcpSocket: { port: spec.containerPort },
    }
  );
}

/** One probe attempt against the instance's upstream; `cal` carries the TCP hold calibration. */
export async function probeOnce(
  probe: ProbeSpec,
  hostPort: number,
  timeoutMs: number,
  cal: { maxCloseMs: number } = { maxCloseMs: 0 },
): Promise<boolean> {
  if (probe.httpGet) {
    const headers: Record<string, string> = {};
    for (const h of probe.httpGet.httpHeaders ?? []) headers[h.name] = h.value;
    return httpProbe(hostPort, probe.httpGet.path || '/', headers, timeoutMs);
  }
  const hold = Math.min(1000, Math.max(100, 3 * cal.maxCloseMs));
  const r = await tcpProbe(hostPort, timeoutMs, hold);
  cal.maxCloseMs = Math.max(cal.maxCloseMs, r.closedAfterMs);
  return r.ok;
}

function startupError(reason: string, message: string): TarmacError {
  return new TarmacError('UNAVAILABLE', message, { reason });
}

/** Creates and starts the container, then waits for the startup probe on 127.0.0.1:hostPort. */
export async function launch(spec: RevisionRuntimeSpec, inst: Instance, deps: LauncherDeps): Promise<void> {
  const { engine } = deps;
  const labels = {
    ...deps.labels,
    [LABEL_REVISION]: spec.name,
    [LABEL_SERVICE]: spec.service,
  };
  const cspec = instanceContainerSpec(spec, {
    name: inst.name,
    address: inst.address,
    labels,
    networkMode: deps.networkMode,
    hostLoopback: deps.hostLoopback,
    hostsFile: deps.hostsFile,
    metadataHost: deps.metadataHost(),
    apiEndpoint: deps.apiEndpoint(),
  });
  const t0 = deps.clock.now();
  try {
    inst.containerId = await engine.create(cspec).catch(async (e: unknown) => {
      // Image presence is cached per process (serving.ts); if the image went away since, pull once.
      if (!isTarmacError(e) || e.reason !== 'IMAGE_NOT_FOUND') throw e;
      await engine.pull(cspec.image, await deps.pullAuth?.(cspec.image));
      return engine.create(cspec);
    });
  } catch (e) {
    throw startupError('CONTAINER_CREATE_FAILED', `could not create the container: ${(e as Error).message}`);
  }
  const t1 = deps.clock.now();
  deps.byContainer.set(inst.containerId, inst);
  deps.registry?.registerInstance(inst.address, {
    project: spec.project,
    projectNumber: spec.projectNumber,
    region: spec.region,
    service: spec.service,
    revision: spec.name,
    instanceId: inst.id,
    serviceAccountEmail: spec.serviceAccountEmail,
  });
  try {
    await engine.start(inst.containerId);
  } catch (e) {
    throw startupError('CONTAINER_START_FAILED', `could not start the container: ${(e as Error).message}`);
  }
  const t2 = deps.clock.now();
  if (deps.observer) followInstanceLogs(engine, spec, inst, deps.observer);
  const state = await engine.inspect(inst.containerId);
  if (!state.hostPort)
    throw startupError('CONTAINER_START_FAILED', 'the engine published no port for the container');
  inst.hostPort = state.hostPort;
  const netns = await NetnsPorts.open(state.pid, inst.containerId);
  const t3 = deps.clock.now();
  await waitStartup(spec, inst, deps, netns);
  // Where the namespace is visible and may be entered (root), requests reach the app over its own
  // loopback (NetnsDialer), when it listens on every address (an app on 127.0.0.1 or on one
  // address only is reached as before: through the published port, or not at all).
  if (
    netns &&
    deps.dialInNamespace !== false &&
    process.getuid?.() === 0 &&
    (await netns.listeningEverywhere(spec.containerPort))
  ) {
    inst.pool.useDialer(netns.pid, spec.containerPort, (reason) =>
      deps.logger.warn(
        { instance: inst.id, reason },
        'cannot connect inside the instance network namespace; using its published port',
      ),
    );
  }
  inst.timings = { createMs: t1 - t0, startMs: t2 - t1, inspectMs: t3 - t2, probeMs: deps.clock.now() - t3 };
}

/** Poll delays while waiting for the app to listen: a few ms at first, then at most 25 ms. */
function pollDelay(attempt: number): number {
  return Math.min(25, 2 * 2 ** Math.min(attempt, 4));
}

async function waitStartup(
  spec: RevisionRuntimeSpec,
  inst: Instance,
  deps: LauncherDeps,
  netns: NetnsPorts | undefined,
): Promise<void> {
  const probe = startupProbe(spec);
  const clock = deps.clock;
  const started = clock.now();
  const budget = Math.min(
    MAX_STARTUP_MS,
    (probe.initialDelaySeconds + probe.periodSeconds * Math.max(1, probe.failureThreshold)) * 1000,
  );
  if (probe.initialDelaySeconds > 0) await sleep(clock, probe.initialDelaySeconds * 1000);
  let lastInspect = started;
  const cal = { maxCloseMs: 0 };
  const port = probe.httpGet?.port || probe.tcpSocket?.port || spec.containerPort;
  for (let attempt = 0; ; attempt++) {
    if (inst.state !== 'starting') throw startupError('RETIRED', 'the revision was retired while starting');
    checkExit(spec, inst);
    if (await probeStartup(probe, inst, netns, port, cal)) return;
    checkExit(spec, inst);
    const now = clock.now();
    if (now - started >= budget) {
      const kind = probe.httpGet ? 'HTTP' : 'TCP';
      deps.observer?.probeFailed?.(spec, inst.id, 'startup');
      throw startupError(
        'STARTUP_PROBE_FAILED',
        `Default STARTUP ${kind} probe failed ${Math.max(1, probe.failureThreshold)} time consecutively for container on port ${spec.containerPort}. The instance was not started. The user-provided container failed to start and listen on the port defined by the PORT=${spec.containerPort} environment variable within the allocated timeout.`,
      );
    }
    if (now - lastInspect >= 1000) {
      lastInspect = now;
      const s = await deps.engine.inspect(inst.containerId).catch(() => undefined);
      if (s && !s.running && s.status !== 'created')
        inst.markExited({ oomKilled: s.oomKilled, exitCode: s.exitCode, memoryUsedBytes: s.memoryUsedBytes });
    }
    await sleep(clock, netns ? pollDelay(attempt) : attempt < 40 ? 25 : 100);
  }
}

/**
 * One startup probe attempt. When the container's namespace is visible, nothing touches the upstream
 * until the app listens there; then a TCP probe only confirms the published port connects, and an
 * HTTP probe runs as configured. Otherwise the held-connection TCP probe tells slirp's early accept
 * apart from the app's.
 */
async function probeStartup(
  probe: ProbeSpec,
  inst: Instance,
  netns: NetnsPorts | undefined,
  port: number,
  cal: { maxCloseMs: number },
): Promise<boolean> {
  const timeoutMs = Math.min(probe.timeoutSeconds * 1000, 2000);
  if (!netns) return probeOnce(probe, inst.hostPort, timeoutMs, cal);
  if (!(await netns.listening(port))) return false;
  if (probe.httpGet) return probeOnce(probe, inst.hostPort, timeoutMs);
  return (await tcpProbe(inst.hostPort, timeoutMs, 0)).ok;
}

function checkExit(spec: RevisionRuntimeSpec, inst: Instance): void {
  if (!inst.exit) return;
  if (inst.exit.oomKilled) {
    throw startupError(
      'MEMORY_LIMIT_EXCEEDED',
      `${memoryMessage(spec, inst.exit.memoryUsedBytes)} The container was killed while starting.`,
    );
  }
  throw startupError(
    'CONTAINER_EXITED',
    `The user-provided container exited with code ${inst.exit.exitCode ?? 'unknown'} before listening on port ${spec.containerPort}.`,
  );
}

/**
 * Cloud Run's log line for an OOM kill. `usedBytes` is what the kernel reported at the kill; the
 * memory cgroup never lets usage pass the limit, so without a report the limit is what was used.
 */
export function memoryMessage(spec: RevisionRuntimeSpec, usedBytes?: number): string {
  const mib = Math.round(spec.memoryBytes / (1024 * 1024));
  const used = Math.max(mib, Math.ceil((usedBytes ?? 0) / (1024 * 1024)));
  return `Memory limit of ${mib} MiB exceeded with ${used} MiB used. Consider increasing the memory limit.`;
}

/** The last lines a container printed, for readiness failures. */
export async function logTail(engine: ContainerEngine, containerId: string, lines = 20): Promise<string[]> {
  if (!containerId) return [];
  const out: string[] = [];
  try {
    for await (const l of engine.logs(containerId, { tail: lines })) out.push(l.text);
  } catch {
    // the container may be gone already; an empty tail is all we can say
  }
  return out.slice(-lines);
}

/** SIGTERM, grace, SIGKILL, remove; forgets the instance's address and identity. */
export function teardown(inst: Instance, deps: LauncherDeps, graceSeconds = 10): Promise<void> {
  const p = stopAndRemove(inst, deps, graceSeconds);
  const all = deps.teardowns;
  if (all) {
    all.add(p);
    const forget = (): boolean => all.delete(p);
    p.then(forget, forget);
  }
  return p;
}

async function stopAndRemove(inst: Instance, deps: LauncherDeps, graceSeconds: number): Promise<void> {
  inst.state = 'stopped';
  if (inst.tornDown) return;
  inst.tornDown = true;
  // The dialer's helper holds the container's network namespace: it goes first.
  inst.pool.stopDialing();
  try {
    if (inst.containerId) {
      await deps.engine.stop(inst.containerId, graceSeconds).catch(() => undefined);
      await deps.engine.remove(inst.containerId).catch((e: unknown) => {
        deps.logger.warn({ err: e, container: inst.containerId }, 'could not remove instance container');
      });
    }
  } finally {
    inst.logFollow.abort();
    if (inst.containerId) deps.systemLog(inst.revision, 'INFO', `Instance ${inst.id} stopped.`);
    inst.pool.destroy();
    deps.byContainer.delete(inst.containerId);
    deps.registry?.unregisterInstance(inst.address);
    deps.addresses.release(inst.address);
  }
}

/**
 * Whether `inst` ended: its exit was reported, or the engine (which also reads the kernel's OOM
 * records) says the container stopped or had a process OOM-killed. A newly found end goes to
 * `onExit` first. Asked after a connection reset, so a request is never retried into an instance
 * that died under it (an OOM kill would only repeat).
 */
export async function died(
  inst: Instance,
  engine: ContainerEngine,
  onExit: (exit: InstanceExit) => void,
): Promise<boolean> {
  if (inst.exit) return true;
  if (!inst.containerId) return false;
  const s = await engine.inspect(inst.containerId).catch(() => undefined);
  if (inst.exit) return true;
  if (s && !s.running)
    onExit({ oomKilled: s.oomKilled, exitCode: s.exitCode, memoryUsedBytes: s.memoryUsedBytes });
  // The kernel killed a process in it (say a gunicorn worker) but the container lives on: over
  // the memory limit the whole instance ends, as on Cloud Run (onExit tears it down).
  else if (s?.running && s.oomKilled)
    onExit({ oomKilled: true, exitCode: null, memoryUsedBytes: s.memoryUsedBytes });
  return inst.exit !== undefined;
}

/**
 * Why an upstream connection to `inst` broke, for the response body: waits briefly for the engine to
 * report the container's end (reporting it through `onExit` when only an inspect tells), then says
 * OOM kill, exit, or a plain closed connection.
 */
export async function explainFailure(
  inst: Instance,
  spec: RevisionRuntimeSpec,
  engine: ContainerEngine,
  onExit: (exit: InstanceExit) => void,
): Promise<{ status: number; message: string }> {
  if (!(await died(inst, engine, onExit))) {
    // Not dead yet as far as the engine knows; a container on its way out shows up in a moment.
    await inst.waitExit(1500);
    if (!inst.exit) await died(inst, engine, onExit);
  }
  if (inst.exit?.oomKilled) {
    return {
      status: 503,
      message: `The instance serving this request was terminated: ${memoryMessage(spec, inst.exit.memoryUsedBytes)}`,
    };
  }
  if (inst.exit) {
    return {
      status: 503,
      message: `The instance serving this request exited unexpectedly (exit code ${inst.exit.exitCode ?? 'unknown'}).`,
    };
  }
  return { status: 502, message: 'The instance closed the connection without a response.' };
}
