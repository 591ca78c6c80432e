import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import { statePaths, type ParsedConfig, type StatePaths } from './config/index.ts';
import { openDatabase, MetaRepo, type Db } from './store/index.ts';
import { connectEngine, removeOrphans, type ContainerEngine } from './runtime/index.ts';
import { Telemetry } from './telemetry/index.ts';
import { cloudBuildRoutes, createApiServer, iamRoutes, type RouteModule } from './api/index.ts';
import { createBuildService, type BuildService } from './build/index.ts';
import { Iam } from './iam/index.ts';
import {
  DisposeStack,
  SystemClock,
  TarmacError,
  closeServer,
  createLogger,
  listen,
  sendJson,
  uuid,
  type Clock,
  type Logger,
} from './shared/index.ts';

export interface PlatformOptions {
  logger?: Logger;
  clock?: Clock;
  /** Use this engine instead of detecting/provisioning one (tests: a FakeEngine or a shared real one). */
  engine?: ContainerEngine;
}

export interface Listeners {
  ingress: AddressInfo;
  api: AddressInfo;
  registry: AddressInfo;
}

/** The one composition root: builds every subsystem from config and owns their lifecycle. */
export class Platform {
  readonly paths: StatePaths;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly db: Db;
  readonly meta: MetaRepo;
  /** Stable id of this installation (one TARMAC_HOME); labels every container it creates. */
  readonly installationId: string;
  readonly telemetry: Telemetry;
  /** Identity: projects, accounts, policies, tokens, metadata server (see src/iam/README.md). */
  readonly iam: Iam;
  /** Cloud Build: source uploads, the build queue and runner, logs (see src/build/README.md). */
  readonly builds: BuildService;
  private readonly stack = new DisposeStack();
  private addrs: Listeners | undefined;
  private engineRef: ContainerEngine | undefined;

  constructor(
    readonly config: ParsedConfig,
    private readonly opts: PlatformOptions = {},
  ) {
    this.paths = statePaths(config.home);
    mkdirSync(this.paths.home, { recursive: true, mode: 0o700 });
    this.logger = opts.logger ?? createLogger(config.logLevel);
    this.clock = opts.clock ?? new SystemClock();
    this.db = openDatabase(this.paths.database);
    this.stack.push(() => {
      this.db.close();
    });
    this.meta = new MetaRepo(this.db);
    this.installationId = this.meta.getOrCreate('installation_id', uuid);
    this.telemetry = new Telemetry(this.db, this.clock);
    this.stack.push(() => this.telemetry.dispose());
    this.iam = new Iam({
      db: this.db,
      meta: this.meta,
      clock: this.clock,
      logger: this.logger,
      paths: this.paths,
      defaultProject: config.defaultProject,
      defaultRegion: config.defaultRegion,
      apiUrl: () => this.urls.api,
      metadata: { host: config.bind, port: config.ports.metadata },
    });
    this.builds = createBuildService({
      config,
      paths: this.paths,
      db: this.db,
      clock: this.clock,
      logger: this.logger,
      iam: this.iam,
      engine: async () => {
        if (!this.engineRef) {
          throw new TarmacError('UNAVAILABLE', 'no container engine is connected', { reason: 'NO_ENGINE' });
        }
        return this.engineRef;
      },
      installationId: this.installationId,
      registryHostPort: () => `localhost:${this.listeners.registry.port}`,
      apiUrl: () => this.urls.api,
    });
  }

  /** The container engine (connected, or provisioned, during start()). */
  get engine(): ContainerEngine {
    if (!this.engineRef) throw new Error('platform not started');
    return this.engineRef;
  }

  get listeners(): Listeners {
    if (!this.addrs) throw new Error('platform not started');
    return this.addrs;
  }

  /** Base URLs of the three listeners, as clients on this machine reach them. */
  get urls(): { ingress: string; api: string; registry: string } {
    const host = (a: AddressInfo): string =>
      `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
    const l = this.listeners;
    return { ingress: host(l.ingress), api: host(l.api), registry: host(l.registry) };
  }

  async start(): Promise<void> {
    await this.startEngine();
    const { bind, ports } = this.config;
    const api = createApiServer(this.routeModules(), this.logger);
    const ingress = createServer(this.ingressHandler());
    const registry = createServer(this.registryHandler());
    const addrs = {
      api: await this.serve(api, bind, ports.api),
      ingress: await this.serve(ingress, bind, ports.ingress),
      registry: await this.serve(registry, bind, ports.registry),
    };
    this.addrs = addrs;
    await this.iam.start();
    this.stack.push(() => this.iam.dispose());
    this.builds.start();
    this.stack.push(() => this.builds.dispose());
  }

  dispose(): Promise<void> {
    return this.stack.dispose();
  }

  /** Connects (or provisions) the engine, then removes containers a crashed run of this home left. */
  private async startEngine(): Promise<void> {
    if (this.opts.engine) {
      this.engineRef = this.opts.engine;
    } else {
      const conn = await connectEngine(this.config, this.logger);
      this.stack.push(() => conn.dispose());
      this.engineRef = conn.engine;
    }
    const removed = await removeOrphans(this.engineRef, this.installationId, this.logger);
    if (removed > 0) this.logger.info({ removed }, 'removed containers left by a previous run');
  }

  private async serve(server: Server, host: string, port: number): Promise<AddressInfo> {
    const addr = await listen(server, host, port);
    this.stack.push(() => closeServer(server));
    return addr;
  }

  private routeModules(): RouteModule[] {
    return [iamRoutes(this.iam), cloudBuildRoutes({ builds: this.builds, auth: this.iam })];
  }

  private ingressHandler(): RequestListener {
    return (req, res) => {
      if (req.url === '/healthz') return sendJson(res, 200, { status: 'ok' });
      sendJson(res, 404, { error: 'no service answers at this host', host: req.headers.host ?? '' });
    };
  }

  private registryHandler(): RequestListener {
    return (req, res) => {
      if (req.url === '/healthz') return sendJson(res, 200, { status: 'ok' });
      sendJson(res, 404, { errors: [{ code: 'UNSUPPORTED', message: 'registry not available' }] });
    };
  }
}

/** Builds and starts the platform; on failure, whatever started is stopped again. */
export async function startPlatform(config: ParsedConfig, opts: PlatformOptions = {}): Promise<Platform> {
  const p = new Platform(config, opts);
  try {
    await p.start();
  } catch (e) {
    await p.dispose().catch(() => undefined);
    throw e;
  }
  return p;
}
