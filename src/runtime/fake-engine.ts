import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SystemClock, sha256Hex, randomSuffix, type Clock, type TimerHandle } from '../shared/index.ts';
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
import { engineError } from './errors.ts';
import { FAKE_PROGRAMS, type FakeProcess } from './fake-programs.ts';
import { fakeBuild, normalizeRef, type FakeImage } from './fake-images.ts';

interface FakeContainer {
  state: ContainerState;
  spec: ContainerSpec;
  lines: LogLine[];
  followers: Set<() => void>;
  exitWaiters: Set<() => void>;
  server?: Server;
  listening?: Promise<void>;
  timers: TimerHandle[];
  intervals: NodeJS.Timeout[];
  signals: Map<string, () => void>;
  memory: number;
}

/**
 * An in-memory ContainerEngine for unit tests: containers run small built-in programs
 * (see fake-programs.ts), published ports are real 127.0.0.1 listeners, time comes from a Clock.
 */
export class FakeEngine implements ContainerEngine {
  readonly images = new Map<string, FakeImage>();
  /** Images "in a registry" after push, by normalized ref; pull finds them here. */
  readonly remote = new Map<string, FakeImage>();
  private readonly containers = new Map<string, FakeContainer>();
  private readonly watchers = new Set<{ labels: Record<string, string>; fn: (e: ContainerEvent) => void }>();
  private readonly auth = new Map<string, RegistryAuth>();

  constructor(readonly clock: Clock = new SystemClock()) {
    for (const ref of ['fake/app:latest', 'python:3.11-slim', 'debian:bookworm-slim']) {
      this.addImage(ref, ref.startsWith('fake/') ? ['http'] : ['sleep']);
    }
  }

  /** Registers a local image whose containers run `program` unless a command is given. */
  addImage(ref: string, program: string[], env: string[] = []): FakeImage {
    const img: FakeImage = {
      id: `sha256:${sha256Hex(ref + randomSuffix(8))}`,
      ref: normalizeRef(ref),
      program,
      env,
    };
    this.images.set(img.ref, img);
    return img;
  }

  /** Makes pushes/pulls to `registry` require these credentials. */
  requireAuth(registry: string, auth: RegistryAuth): void {
    this.auth.set(registry, auth);
  }

  info(): Promise<EngineInfo> {
    return Promise.resolve({
      name: 'fake',
      version: '1.0.0',
      apiVersion: '1.41',
      memoryLimit: true,
      cgroupVersion: '2',
      networkMode: 'fake',
      hostLoopbackAddress: '127.0.0.1',
    });
  }
  ping(): Promise<void> {
    return Promise.resolve();
  }

  imageExists(ref: string): Promise<boolean> {
    return Promise.resolve(this.findImage(ref) !== undefined);
  }
  async inspectImage(ref: string): Promise<ImageInfo> {
    const img = this.findImage(ref);
    if (!img) throw engineError('IMAGE_NOT_FOUND', `image not known: ${ref}`);
    const tags = [...this.images.entries()].filter(([, i]) => i.id === img.id).map(([r]) => r);
    return { id: img.id, repoTags: tags, repoDigests: [], env: img.env, exposedPorts: [], sizeBytes: 1024 };
  }
  async pull(ref: string, auth?: RegistryAuth): Promise<void> {
    this.checkAuth(ref, auth, 'PULL_FAILED');
    const img = this.remote.get(normalizeRef(ref));
    if (!img) throw engineError('IMAGE_NOT_FOUND', `pull ${ref}: manifest unknown`);
    this.images.set(normalizeRef(ref), img);
  }
  async build(opts: BuildOptions): Promise<{ imageId: string }> {
    const img = await fakeBuild(opts, (r) => this.findImage(r));
    this.images.set(img.ref, img);
    return { imageId: img.id };
  }
  async tag(source: string, target: string): Promise<void> {
    const img = this.findImage(source);
    if (!img) throw engineError('IMAGE_NOT_FOUND', `image not known: ${source}`);
    this.images.set(normalizeRef(target), img);
  }
  async push(ref: string, auth?: RegistryAuth, onLog?: (line: string) => void): Promise<{ digest: string }> {
    const img = this.findImage(ref);
    if (!img) throw engineError('IMAGE_NOT_FOUND', `push ${ref}: image not known`);
    this.checkAuth(ref, auth, 'PUSH_FAILED');
    this.remote.set(normalizeRef(ref), img);
    onLog?.(`pushed ${ref}`);
    return { digest: `sha256:${sha256Hex(`${img.id}@${normalizeRef(ref)}`)}` };
  }
  async removeImage(ref: string): Promise<void> {
    this.images.delete(normalizeRef(ref));
  }

  async create(spec: ContainerSpec): Promise<string> {
    const img = this.findImage(spec.image);
    if (!img) throw engineError('IMAGE_NOT_FOUND', `create ${spec.name}: image not known: ${spec.image}`);
    if ([...this.containers.values()].some((c) => c.state.name === spec.name)) {
      throw engineError('CONTAINER_CONFLICT', `create ${spec.name}: name already in use`);
    }
    const id = sha256Hex(spec.name + randomSuffix(16));
    this.containers.set(id, {
      spec,
      state: {
        id,
        name: spec.name,
        image: spec.image,
        running: false,
        status: 'created',
        exitCode: null,
        oomKilled: false,
        labels: { ...spec.labels },
      },
      lines: [],
      followers: new Set(),
      exitWaiters: new Set(),
      timers: [],
      intervals: [],
      signals: new Map(),
      memory: 0,
    });
    return id;
  }

  async start(id: string): Promise<void> {
    const c = this.get(id);
    if (c.state.running) return;
    const img = this.findImage(c.spec.image)!;
    const argv = [...(c.spec.command ?? []), ...(c.spec.args ?? [])];
    const cmd = argv.length > 0 ? argv : img.program;
    const program = FAKE_PROGRAMS[cmd[0] ?? ''];
    Object.assign(c.state, { running: true, status: 'running', exitCode: null, oomKilled: false });
    c.state.startedAt = new Date(this.clock.now()).toISOString();
    c.memory = 0;
    this.emit(c, { id, type: 'start', labels: c.state.labels });
    if (!program) return this.exited(c, 127, `exec: "${cmd[0] ?? ''}": executable file not found`);
    program(this.process(c), cmd.slice(1));
    await c.listening;
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    const c = this.get(id);
    if (!c.state.running) return;
    const done = new Promise<void>((resolve) => c.exitWaiters.add(resolve));
    this.signal(c, 'SIGTERM');
    if (!c.state.running) return;
    const t = this.clock.setTimeout(() => this.exited(c, 137), graceSeconds * 1000);
    await done;
    this.clock.clearTimeout(t);
  }

  async kill(id: string, signal = 'SIGKILL'): Promise<void> {
    const c = this.get(id);
    if (c.state.running) this.signal(c, signal);
  }

  async remove(id: string): Promise<void> {
    const c = this.containers.get(id) ?? [...this.containers.values()].find((x) => x.state.name === id);
    if (!c) return;
    if (c.state.running) this.exited(c, 137);
    this.containers.delete(c.state.id);
  }

  async inspect(id: string): Promise<ContainerState> {
    const c = this.get(id);
    return { ...c.state, labels: { ...c.state.labels } };
  }

  async list(labels: Record<string, string>): Promise<ContainerState[]> {
    return [...this.containers.values()]
      .filter((c) => matches(c.state.labels, labels))
      .map((c) => ({ ...c.state, labels: { ...c.state.labels } }));
  }

  async *logs(id: string, opts: LogOptions = {}): AsyncIterable<LogLine> {
    const c = this.get(id);
    let i = opts.tail !== undefined ? Math.max(0, c.lines.length - opts.tail) : 0;
    for (;;) {
      while (i < c.lines.length) yield c.lines[i++]!;
      if (!opts.follow || !c.state.running || opts.signal?.aborted) return;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          c.followers.delete(wake);
          opts.signal?.removeEventListener('abort', wake);
          resolve();
        };
        c.followers.add(wake);
        opts.signal?.addEventListener('abort', wake, { once: true });
      });
    }
  }

  watch(labels: Record<string, string>, onEvent: (e: ContainerEvent) => void): Watch {
    const w = { labels, fn: onEvent };
    this.watchers.add(w);
    return { close: () => this.watchers.delete(w) };
  }

  private process(c: FakeContainer): FakeProcess {
    const env: Record<string, string> = Object.fromEntries(
      this.findImage(c.spec.image)!.env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
    );
    Object.assign(env, c.spec.env);
    return {
      spec: c.spec,
      env,
      log: (stream, text) => this.log(c, stream, text),
      exit: (code) => this.exited(c, code),
      allocate: (bytes) => {
        c.memory += bytes;
        if (c.spec.memoryBytes !== undefined && c.memory > c.spec.memoryBytes)
          this.exited(c, 137, undefined, true);
      },
      serve: (server) => {
        c.server = server;
        c.listening = new Promise((resolve) => {
          server.listen(0, '127.0.0.1', () => {
            if (c.spec.port !== undefined) c.state.hostPort = (server.address() as AddressInfo).port;
            resolve();
          });
        });
      },
      onSignal: (signal, fn) => c.signals.set(signal, fn),
      every: (ms, fn) => {
        const t = setInterval(fn, ms);
        t.unref();
        c.intervals.push(t);
      },
    };
  }

  private signal(c: FakeContainer, signal: string): void {
    const handler = c.signals.get(signal);
    if (handler && signal !== 'SIGKILL') return handler();
    const codes: Record<string, number> = { SIGTERM: 143, SIGINT: 130, SIGKILL: 137 };
    this.exited(c, codes[signal] ?? 137);
  }

  private log(c: FakeContainer, stream: 'stdout' | 'stderr', text: string): void {
    c.lines.push({ stream, text, time: new Date(this.clock.now()).toISOString() });
    for (const f of [...c.followers]) f();
  }

  private exited(c: FakeContainer, code: number, message?: string, oom = false): void {
    if (!c.state.running) return;
    if (message) this.log(c, 'stderr', message);
    for (const t of c.intervals) clearInterval(t);
    for (const t of c.timers) this.clock.clearTimeout(t);
    c.intervals = [];
    c.server?.closeAllConnections();
    c.server?.close();
    c.server = undefined;
    c.signals.clear();
    Object.assign(c.state, { running: false, status: 'exited', exitCode: code, oomKilled: oom });
    if (oom) c.state.memoryUsedBytes = c.spec.memoryBytes;
    c.state.finishedAt = new Date(this.clock.now()).toISOString();
    if (oom) this.emit(c, { id: c.state.id, type: 'oom', labels: c.state.labels });
    this.emit(c, { id: c.state.id, type: 'die', exitCode: code, labels: c.state.labels });
    for (const f of [...c.followers, ...c.exitWaiters]) f();
    c.exitWaiters.clear();
  }

  private emit(c: FakeContainer, e: ContainerEvent): void {
    for (const w of this.watchers)
      if (matches(c.state.labels, w.labels)) w.fn({ ...e, labels: { ...e.labels } });
  }

  private checkAuth(
    ref: string,
    auth: RegistryAuth | undefined,
    reason: 'PULL_FAILED' | 'PUSH_FAILED',
  ): void {
    const need = this.auth.get(ref.split('/')[0]!);
    if (need && (auth?.username !== need.username || auth.password !== need.password)) {
      throw engineError(reason, `${ref}: unauthorized: authentication required`);
    }
  }

  private findImage(ref: string): FakeImage | undefined {
    return this.images.get(normalizeRef(ref)) ?? [...this.images.values()].find((i) => i.id === ref);
  }

  private get(id: string): FakeContainer {
    const c = this.containers.get(id) ?? [...this.containers.values()].find((x) => x.state.name === id);
    if (!c) throw engineError('CONTAINER_NOT_FOUND', `no such container: ${id}`);
    return c;
  }
}

function matches(have: Record<string, string>, want: Record<string, string>): boolean {
  return Object.entries(want).every(([k, v]) => have[k] === v);
}
