import type { RevisionRuntimeSpec } from '../model/index.ts';
import type { ContainerSpec } from '../runtime/index.ts';
import { UpstreamPool } from './upstream.ts';

export type InstanceState = 'starting' | 'ready' | 'draining' | 'stopped';

/** How an instance ended, when the engine reported it. */
export interface InstanceExit {
  oomKilled: boolean;
  exitCode: number | null;
  /** Memory in use when the engine OOM-killed it (kernel report), when known. */
  memoryUsedBytes?: number;
}

export interface LaunchTimings {
  createMs: number;
  startMs: number;
  inspectMs: number;
  probeMs: number;
}

/** One container of a revision, as the proxy and the revision see it. */
export class Instance {
  state: InstanceState = 'starting';
  containerId = '';
  hostPort = 0;
  inflight = 0;
  lastActiveAt: number;
  readonly createdAt: number;
  readyAt = 0;
  /** Where the launch time went (create, start, inspect, startup probe), once ready. */
  timings: LaunchTimings | undefined;
  exit: InstanceExit | undefined;
  /** The engine reported an OOM kill inside the container. */
  oomSeen = false;
  /** The container create/start/probe in progress; settles once. */
  launching: Promise<void> | undefined;
  /** Set once teardown began, so the container and address are released once. */
  tornDown = false;
  /** Stops following the container's output once it is removed. */
  readonly logFollow = new AbortController();
  /** Keep-alive connections to this instance (dialed inside its namespace, or to its published port). */
  readonly pool: UpstreamPool;
  private exitWaiters: (() => void)[] = [];

  constructor(
    readonly revision: string,
    readonly id: string,
    readonly name: string,
    readonly address: string,
    now: number,
    concurrency: number,
  ) {
    this.createdAt = now;
    this.lastActiveAt = now;
    // The revision's breaker keeps in-flight requests (so connections) within `concurrency`.
    this.pool = new UpstreamPool(() => this.hostPort, Math.min(concurrency, 256));
  }

  /** Records the container's end once; wakes whoever waits for it. */
  markExited(exit: InstanceExit): void {
    if (this.exit) return;
    this.exit = exit;
    for (const w of this.exitWaiters.splice(0)) w();
  }

  /** Resolves when the container is known to have exited, or after `ms`. */
  waitExit(ms: number): Promise<void> {
    if (this.exit) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.exitWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

export interface InstanceContext {
  name: string;
  address: string;
  labels: Record<string, string>;
  /** Engine NetworkMode (slirp4netns:...) without outbound_addr. */
  networkMode: string;
  hostLoopback: string;
  hostsFile: string | undefined;
  metadataHost: string | undefined;
  /** Where code in the instance reaches tarmac's API (TARMAC_API_ENDPOINT). */
  apiEndpoint?: string;
}

const RESERVED_ENV = new Set(['PORT', 'K_SERVICE', 'K_REVISION', 'K_CONFIGURATION']);

/** The container an instance of `spec` runs as: a pure desired-state builder. */
export function instanceContainerSpec(spec: RevisionRuntimeSpec, ctx: InstanceContext): ContainerSpec {
  const env: Record<string, string> = {};
  for (const e of spec.env) if (!RESERVED_ENV.has(e.name)) env[e.name] = e.value;
  env.PORT = String(spec.containerPort);
  env.K_SERVICE = spec.service;
  env.K_REVISION = spec.name;
  env.K_CONFIGURATION = spec.service;
  if (ctx.metadataHost) env.GCE_METADATA_HOST ??= ctx.metadataHost;
  // Python's google-auth pings GCE_METADATA_IP (else 169.254.169.254, unreachable from an instance).
  if (ctx.metadataHost) env.GCE_METADATA_IP ??= ctx.metadataHost;
  if (ctx.apiEndpoint) env.TARMAC_API_ENDPOINT ??= ctx.apiEndpoint;
  const networkMode = ctx.networkMode.startsWith('slirp4netns')
    ? `${ctx.networkMode},outbound_addr=${ctx.address}`
    : ctx.networkMode;
  const out: ContainerSpec = {
    name: ctx.name,
    image: spec.image,
    env,
    memoryBytes: spec.memoryBytes,
    nanoCpus: Math.round(spec.cpu * 1e9),
    port: spec.containerPort,
    networkMode,
    extraHosts: [`metadata.google.internal:${ctx.hostLoopback}`],
    labels: ctx.labels,
    stopTimeout: 10,
  };
  if (ctx.hostsFile) out.binds = [`${ctx.hostsFile}:/etc/hosts:ro`];
  if (spec.command?.length) out.command = spec.command;
  if (spec.args?.length) out.args = spec.args;
  if (spec.workingDir) out.workingDir = spec.workingDir;
  return out;
}
