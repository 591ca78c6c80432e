import Docker from 'dockerode';
import type { Readable } from 'node:stream';
import type {
  BuildOptions,
  ContainerEngine,
  ContainerEvent,
  ContainerSpec,
  ContainerState,
  EngineInfo,
  ImageInfo,
  LogLine,
  LogOptions,
  RegistryAuth,
  Watch,
} from './engine.ts';
import { engineMessage, mapEngineError, statusOf } from './errors.ts';
import * as images from './docker-images.ts';
import { LogDemuxer } from './streams.ts';
import { watchEvents } from './docker-events.ts';
import { KernelOomLog } from './oom-kmsg.ts';

/** The NetworkMode tarmac gives containers on Podman: no bridge address, host loopback at 10.0.2.2. */
export const PODMAN_NETWORK_MODE = 'slirp4netns:port_handler=slirp4netns,allow_host_loopback=true';

/** Turns `unix:///path`, `/path`, `tcp://host:port` or `http://host:port` into dockerode options. */
export function dockerOptions(host: string): Docker.DockerOptions {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('/')) return { socketPath: host };
  const u = new URL(host.replace(/^tcp:/, 'http:'));
  return {
    host: u.hostname,
    port: Number(u.port || 2375),
    protocol: u.protocol === 'https:' ? 'https' : 'http',
  };
}

function labelFilters(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`);
}

/** ContainerEngine over the Docker Engine API: Docker, or Podman's compatible service. */
export class DockerEngine implements ContainerEngine {
  readonly docker: Docker;
  private infoCache: Promise<EngineInfo> | undefined;
  private readonly oomLog = new KernelOomLog();

  constructor(readonly host: string) {
    this.docker = new Docker(dockerOptions(host));
  }

  info(): Promise<EngineInfo> {
    this.infoCache ??= this.loadInfo().catch((e: unknown) => {
      this.infoCache = undefined;
      throw e;
    });
    return this.infoCache;
  }

  private async loadInfo(): Promise<EngineInfo> {
    try {
      const [v, i] = await Promise.all([this.docker.version(), this.docker.info()]);
      const components = (v as { Components?: { Name: string }[] }).Components ?? [];
      const podman = components.some((c) => /podman/i.test(c.Name));
      const info = i as { MemoryLimit?: boolean; CgroupVersion?: string };
      return {
        name: podman ? 'podman' : 'docker',
        version: v.Version,
        apiVersion: v.ApiVersion,
        memoryLimit: info.MemoryLimit === true,
        cgroupVersion: String(info.CgroupVersion ?? ''),
        networkMode: podman ? PODMAN_NETWORK_MODE : 'bridge',
        hostLoopbackAddress: podman ? '10.0.2.2' : 'host-gateway',
      };
    } catch (e) {
      throw mapEngineError(e, 'engine info');
    }
  }

  async ping(): Promise<void> {
    try {
      await this.docker.ping();
    } catch (e) {
      throw mapEngineError(e, 'ping');
    }
  }

  imageExists(ref: string): Promise<boolean> {
    return images.imageExists(this.docker, ref);
  }
  inspectImage(ref: string): Promise<ImageInfo> {
    return images.inspectImage(this.docker, ref);
  }
  async pull(ref: string, auth?: RegistryAuth): Promise<void> {
    return images.pull(this.docker, ref, auth, (await this.info()).name === 'podman');
  }
  build(opts: BuildOptions): Promise<{ imageId: string }> {
    return images.build(this.docker, opts);
  }
  tag(source: string, target: string): Promise<void> {
    return images.tag(this.docker, source, target);
  }
  push(ref: string, auth?: RegistryAuth, onLog?: (line: string) => void): Promise<{ digest: string }> {
    return images.push(this.docker, ref, auth, onLog);
  }
  removeImage(ref: string, force?: boolean): Promise<void> {
    return images.removeImage(this.docker, ref, force);
  }

  async create(spec: ContainerSpec): Promise<string> {
    const networkMode = spec.networkMode ?? (await this.info()).networkMode;
    const portKey = spec.port === undefined ? undefined : `${spec.port}/tcp`;
    const opts: Docker.ContainerCreateOptions = {
      name: spec.name,
      Image: spec.image,
      Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
      Labels: spec.labels ?? {},
      HostConfig: {
        NetworkMode: networkMode,
        ExtraHosts: spec.extraHosts,
        Binds: spec.binds,
        Memory: spec.memoryBytes,
        // Memory+swap equal to memory: exceeding the limit kills instead of swapping.
        MemorySwap: spec.memoryBytes,
        NanoCpus: spec.nanoCpus,
        PidsLimit: spec.pidsLimit,
        PortBindings: portKey ? { [portKey]: [{ HostIp: '127.0.0.1', HostPort: '' }] } : undefined,
      },
    };
    if (spec.command) opts.Entrypoint = spec.command;
    if (spec.args) opts.Cmd = spec.args;
    if (spec.workingDir) opts.WorkingDir = spec.workingDir;
    if (portKey) opts.ExposedPorts = { [portKey]: {} };
    if (spec.stopTimeout !== undefined) opts.StopTimeout = spec.stopTimeout;
    try {
      return (await this.docker.createContainer(opts)).id;
    } catch (e) {
      throw mapEngineError(e, `create container ${spec.name}`, 'IMAGE_NOT_FOUND');
    }
  }

  async start(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (e) {
      if (statusOf(e) === 304) return;
      throw mapEngineError(e, `start ${id}`);
    }
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: Math.max(0, Math.round(graceSeconds)) });
    } catch (e) {
      if (statusOf(e) === 304) return;
      throw mapEngineError(e, `stop ${id}`);
    }
  }

  async kill(id: string, signal = 'SIGKILL'): Promise<void> {
    try {
      await this.docker.getContainer(id).kill({ signal });
    } catch (e) {
      // Killing a container that already stopped is not worth an error (Podman says 500 "state improper").
      if (statusOf(e) === 409 || statusOf(e) === 304) return;
      if (/state improper|is not running/.test(engineMessage(e))) return;
      throw mapEngineError(e, `kill ${id}`);
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (e) {
      if (statusOf(e) === 404) return;
      throw mapEngineError(e, `remove ${id}`);
    }
  }

  async inspect(id: string): Promise<ContainerState> {
    try {
      const c = await this.docker.getContainer(id).inspect();
      const ports = (c.NetworkSettings?.Ports ?? {}) as Record<string, { HostPort: string }[] | null>;
      const bound = Object.values(ports).find((b) => b && b.length > 0)?.[0]?.HostPort;
      const st = c.State;
      // Exit 137 under a memory limit, or a process of a still-running container (a worker its init
      // replaces): ask the kernel log when the engine did not notice the OOM kill.
      const oom =
        st.OOMKilled ||
        ((st.Running || st.ExitCode === 137) &&
          (c.HostConfig.Memory ?? 0) > 0 &&
          this.oomLog.wasOomKilled(c.Id));
      const used = oom ? this.oomLog.usageAtKill(c.Id) : undefined;
      return {
        ...(used === undefined ? {} : { memoryUsedBytes: used }),
        id: c.Id,
        name: c.Name.replace(/^\//, ''),
        image: c.Config.Image,
        running: st.Running,
        status: st.Status,
        exitCode: st.Running || st.Status === 'created' ? null : st.ExitCode,
        oomKilled: oom,
        hostPort: bound ? Number(bound) : undefined,
        pid: st.Pid || undefined,
        startedAt: st.StartedAt && !st.StartedAt.startsWith('0001') ? st.StartedAt : undefined,
        finishedAt: st.FinishedAt && !st.FinishedAt.startsWith('0001') ? st.FinishedAt : undefined,
        labels: c.Config.Labels ?? {},
      };
    } catch (e) {
      throw mapEngineError(e, `inspect ${id}`);
    }
  }

  async list(labels: Record<string, string>): Promise<ContainerState[]> {
    let found: Docker.ContainerInfo[];
    try {
      found = await this.docker.listContainers({ all: true, filters: { label: labelFilters(labels) } });
    } catch (e) {
      throw mapEngineError(e, 'list containers');
    }
    const out: ContainerState[] = [];
    for (const c of found) {
      // The engine's filter is trusted, but checked again: never act on a container we do not own.
      if (!Object.entries(labels).every(([k, v]) => c.Labels?.[k] === v)) continue;
      try {
        out.push(await this.inspect(c.Id));
      } catch (e) {
        if ((e as { reason?: string }).reason !== 'CONTAINER_NOT_FOUND') throw e;
      }
    }
    return out;
  }

  async *logs(id: string, opts: LogOptions = {}): AsyncIterable<LogLine> {
    const timestamps = opts.timestamps ?? false;
    const demux = new LogDemuxer(timestamps);
    const q: Record<string, unknown> = { stdout: true, stderr: true, timestamps };
    if (opts.since !== undefined) q.since = opts.since;
    if (opts.tail !== undefined) q.tail = opts.tail;
    if (opts.signal) q.abortSignal = opts.signal;
    const c = this.docker.getContainer(id);
    let result: Readable | Buffer;
    try {
      result = opts.follow
        ? ((await c.logs({ ...q, follow: true } as Docker.ContainerLogsOptions & {
            follow: true;
          })) as Readable)
        : ((await c.logs({ ...q, follow: false } as Docker.ContainerLogsOptions & {
            follow: false;
          })) as Buffer);
    } catch (e) {
      if (opts.signal?.aborted) return;
      throw mapEngineError(e, `logs of ${id}`);
    }
    if (Buffer.isBuffer(result)) {
      yield* demux.push(result);
      yield* demux.end();
      return;
    }
    const stream = result;
    const onAbort = (): void => {
      stream.destroy();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const chunk of stream) yield* demux.push(chunk as Buffer);
    } catch (e) {
      if (!opts.signal?.aborted) throw mapEngineError(e, `logs of ${id}`);
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      stream.destroy();
    }
    yield* demux.end();
  }

  /** Releases local resources (the kernel log handle); the engine itself keeps running. */
  close(): void {
    this.oomLog.close();
  }

  watch(labels: Record<string, string>, onEvent: (e: ContainerEvent) => void): Watch {
    return watchEvents(this, labelFilters(labels), labels, onEvent);
  }
}
