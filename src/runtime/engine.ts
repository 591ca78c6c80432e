import type { Readable } from 'node:stream';

/**
 * The one seam between tarmac and a container engine. The Docker Engine API driver (Podman's
 * compatible service or Docker) implements it here; a Knative driver is the scale-out path.
 */
export interface ContainerEngine {
  /** Engine name/version and what it can enforce. Fails with ENGINE_UNREACHABLE when it cannot be reached. */
  info(): Promise<EngineInfo>;
  ping(): Promise<void>;

  imageExists(ref: string): Promise<boolean>;
  inspectImage(ref: string): Promise<ImageInfo>;
  pull(ref: string, auth?: RegistryAuth): Promise<void>;
  /** Builds from a tar context; each log line goes to onLog as it arrives. Aborted by `signal`. */
  build(opts: BuildOptions): Promise<{ imageId: string }>;
  tag(source: string, target: string): Promise<void>;
  /** Pushes (plain-HTTP localhost registries included) and returns the manifest digest. */
  push(ref: string, auth?: RegistryAuth, onLog?: (line: string) => void): Promise<{ digest: string }>;
  removeImage(ref: string, force?: boolean): Promise<void>;

  create(spec: ContainerSpec): Promise<string>;
  start(id: string): Promise<void>;
  /** SIGTERM, then SIGKILL after graceSeconds. Stopping a stopped container is not an error. */
  stop(id: string, graceSeconds: number): Promise<void>;
  kill(id: string, signal?: string): Promise<void>;
  /** Removes (force stops first). Removing a missing container is not an error. */
  remove(id: string): Promise<void>;
  inspect(id: string): Promise<ContainerState>;
  /** Containers carrying all of the given labels, running or not. */
  list(labels: Record<string, string>): Promise<ContainerState[]>;
  logs(id: string, opts?: LogOptions): AsyncIterable<LogLine>;
  /** Reports container exits and OOM kills of containers carrying `labels`. */
  watch(labels: Record<string, string>, onEvent: (e: ContainerEvent) => void): Watch;
}

export interface EngineInfo {
  name: 'podman' | 'docker' | 'fake';
  version: string;
  apiVersion: string;
  /** Whether HostConfig.Memory is enforced (cgroup memory controller present). */
  memoryLimit: boolean;
  cgroupVersion: string;
  /** The NetworkMode tarmac gives containers, e.g. slirp4netns:...,allow_host_loopback=true. */
  networkMode: string;
  /** Address at which the host's loopback is reachable from inside a container. */
  hostLoopbackAddress: string;
}

export interface ImageInfo {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  env: string[];
  exposedPorts: number[];
  sizeBytes: number;
  /** Image config labels (e.g. dev.tarmac.recipe on bootstrapped base images). */
  labels?: Record<string, string>;
}

export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress?: string;
}

export interface BuildOptions {
  /** A tar stream of the build context (Dockerfile and .dockerignore inside). */
  context: Readable;
  tag: string;
  dockerfile?: string;
  noCache?: boolean;
  /**
   * false: commit the image once at the end instead of an image per instruction (no layer cache is
   * written, as BuildKit does); the result has one layer on top of the base. Default true.
   */
  layers?: boolean;
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  signal?: AbortSignal;
  onLog?: (line: string) => void;
}

export interface ContainerSpec {
  name: string;
  image: string;
  env?: Record<string, string>;
  /** Replaces the image ENTRYPOINT. */
  command?: string[];
  /** Replaces the image CMD. */
  args?: string[];
  workingDir?: string;
  memoryBytes?: number;
  nanoCpus?: number;
  pidsLimit?: number;
  /** Container port published on 127.0.0.1 at an ephemeral host port (see ContainerState.hostPort). */
  port?: number;
  /** Defaults to EngineInfo.networkMode. */
  networkMode?: string;
  /** "host:ip" entries added to /etc/hosts. */
  extraHosts?: string[];
  /** "hostPath:containerPath[:ro]" bind mounts. */
  binds?: string[];
  labels?: Record<string, string>;
  /** Seconds the engine waits after SIGTERM on stop. */
  stopTimeout?: number;
}

export interface ContainerState {
  id: string;
  name: string;
  image: string;
  running: boolean;
  /** created | running | exited | ... as the engine says */
  status: string;
  exitCode: number | null;
  /** The kernel OOM-killed it, or (still running) one of its processes. */
  oomKilled: boolean;
  /** For an OOM-killed container: the memory in use at the kill, as the kernel reported it. */
  memoryUsedBytes?: number;
  hostPort?: number;
  /** The container's init process as the host sees it (0 or absent when not running or unknown). */
  pid?: number;
  startedAt?: string;
  finishedAt?: string;
  labels: Record<string, string>;
}

export interface LogOptions {
  follow?: boolean;
  timestamps?: boolean;
  /** Unix seconds. */
  since?: number;
  tail?: number;
  signal?: AbortSignal;
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  /** RFC 3339 timestamp from the engine when asked for, else when read. */
  time: string;
  text: string;
}

export interface ContainerEvent {
  id: string;
  type: 'start' | 'die' | 'oom';
  exitCode?: number;
  labels: Record<string, string>;
}

export interface Watch {
  close(): void;
}

/** Labels on everything tarmac creates: managed marker plus the owning installation (one TARMAC_HOME). */
export const LABEL_MANAGED = 'dev.tarmac.managed';
export const LABEL_OWNER = 'dev.tarmac.owner';
export const LABEL_KIND = 'dev.tarmac.kind';
