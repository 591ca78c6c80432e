import { randomBytes } from 'node:crypto';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { statePaths, type ParsedConfig, type StatePaths } from './config/index.ts';
import { openDatabase, MetaRepo, type Db } from './store/index.ts';
import {
  ServingHooks,
  Telemetry,
  buildFinishedHook,
  instrumentRegistry,
  schedulerAttemptHook,
} from './telemetry/index.ts';
import {
  cloudBuildRoutes,
  createApiServer,
  consoleRoutes,
  loginPath,
  ConsoleSessions,
  iamRoutes,
  schedulerRoutes,
  registryRoutes,
  loggingRoutes,
  runV1Routes,
  runV2Routes,
  type RouteModule,
} from './api/index.ts';
import { ServicesControlPlane, imageDigestFor, imageResolverFor, servicesIamOf } from './services/index.ts';
import { createBuildService, type BuildService } from './build/index.ts';
import { Iam } from './iam/index.ts';
import { Scheduler } from './scheduler/index.ts';
import { Serving } from './serving/index.ts';
import { INTERNAL_MARKER_HEADER } from './model/index.ts';
import {
  connectEngine,
  publishBaseImages,
  removeOrphans,
  writeDockerHubMirror,
  type ContainerEngine,
  type PublishedImage,
} from './runtime/index.ts';
import { FsBlobStore, Registry, RegistryAuth, createRegistryHandler } from './registry/index.ts';
import {
  DisposeStack,
  SystemClock,
  closeServer,
  createLogger,
  listen,
  uuid,
  type ClosableServer,
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
  /** Cloud Scheduler jobs: durable cron loop and HTTP invoker (see src/scheduler/README.md). */
  readonly scheduler: Scheduler;
  /** Data plane: instances, autoscaling and the ingress proxy (see src/serving/README.md). */
  readonly serving: Serving;
  /** The built-in OCI registry (see src/registry/README.md); served on the registry listener. */
  readonly registry: Registry;
  readonly registryAuth: RegistryAuth;
  private readonly blobStore: FsBlobStore;
  /** Cloud Build: source uploads, the build queue and runner, logs (see src/build/README.md). */
  readonly builds: BuildService;
  /** Services control plane: Cloud Run Admin API state, revisions, operations, reconciler (src/services). */
  readonly services: ServicesControlPlane;
  private readonly stack = new DisposeStack();
  private addrs: Listeners | undefined;
  private engineRef: ContainerEngine | undefined;
  /** Per-process secret marking tarmac's own calls to the ingress (the scheduler's) as internal. */
  private readonly internalMarker = randomBytes(32).toString('base64url');

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
    this.telemetry = new Telemetry(this.db, this.clock, {
      maxBytesPerRevision: config.logs.maxBytesPerRevision,
      maxPerRevision: config.logs.maxEntriesPerRevision,
      maxAgeMs: config.logs.maxAgeDays * 86_400_000,
    });
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
      metadata: { host: config.bind, port: config.ports.metadata, port80: config.metadataPort80 },
    });
    this.scheduler = new Scheduler({
      db: this.db,
      clock: this.clock,
      logger: this.logger,
      minter: this.iam,
      internalRoute: (url) => this.internalRoute(url),
      onAttempt: schedulerAttemptHook(this.telemetry.metrics),
    });
    const hooks = new ServingHooks(this.telemetry, (rev) => this.serving.revisionSpec(rev));
    this.serving = new Serving({
      engine: () => this.servingEngine(),
      clock: this.clock,
      logger: this.logger,
      domain: config.domain,
      stateDir: join(this.paths.home, 'serving'),
      installationId: this.installationId,
      idleTimeoutSeconds: config.serving.idleTimeoutSeconds,
      targetUtilization: config.serving.targetUtilization,
      invokeAuthorizer: this.iam.invokeAuthorizer,
      instanceRegistry: this.iam,
      metadataPort: () => this.iam.metadataAddress.port,
      apiPort: () => this.addrs?.api.port,
      pullAuth: async (image) => {
        const local = `localhost:${this.listeners.registry.port}/`;
        if (!image.startsWith(local)) return undefined;
        const project = image.slice(local.length).split('/')[0]!;
        return this.registryAuth.internalCredentials([`${project}/`], ['pull']);
      },
      onSystemLog: hooks.systemLog,
      // TARMAC_REQUEST_LOGS=off keeps request metrics but writes no request log entries (bench).
      onRequest: hooks.requestHook(process.env.TARMAC_REQUEST_LOGS !== 'off'),
      observer: hooks,
      internalMarker: this.internalMarker,
    });
    this.telemetry.metrics.servingLoad = () => this.serving.stats();
    this.blobStore = new FsBlobStore(this.paths.blobs);
    this.registry = new Registry({
      db: this.db,
      store: this.blobStore,
      clock: this.clock,
      logger: this.logger,
    });
    this.registryAuth = new RegistryAuth({ authorizer: this.iam, clock: this.clock });
    this.builds = createBuildService({
      config,
      paths: this.paths,
      db: this.db,
      clock: this.clock,
      logger: this.logger,
      iam: this.iam,
      engine: async () => this.engine,
      installationId: this.installationId,
      registryHostPort: () => `localhost:${this.listeners.registry.port}`,
      apiUrl: () => this.urls.api,
      onFinished: buildFinishedHook(this.telemetry.metrics),
    });
    this.services = new ServicesControlPlane(this.db, {
      iam: servicesIamOf(this.iam),
      dataPlane: this.serving,
      resolveImage: imageResolverFor(() => `localhost:${this.listeners.registry.port}`),
      progressDeadlineMs: config.serving.progressDeadlineSeconds * 1000,
      imageDigest: imageDigestFor(
        () => `localhost:${this.listeners.registry.port}`,
        (repository, tag) => this.registry.meta.resolveTag(repository, tag),
      ),
      clock: this.clock,
      logger: this.logger,
    });
  }

  /**
   * Copies the bootstrapped base images (`tarmac images bootstrap`; or `images`) from the engine
   * into the registry under library/NAME:TAG, where the engine finds them as its docker.io mirror.
   */
  async publishBaseImages(images?: PublishedImage[]): Promise<{ ref: string; digest: string }[]> {
    const auth = await this.registryAuth.internalCredentials(['library/'], ['pull', 'push']);
    const host = `127.0.0.1:${this.listeners.registry.port}`;
    return publishBaseImages(this.servingEngine(), host, auth, images);
  }

  private servingEngine(): ContainerEngine {
    return this.engine;
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

  /** Browser sessions of the web console (cookie -> bearer credential, held in memory). */
  readonly consoleSessions = new ConsoleSessions((a) => this.iam.authenticate(a));

  /** A signed-in console URL for the local owner, valid while this process runs (printed at start). */
  consoleUrl(): string {
    return `${this.urls.api}${loginPath(this.consoleSessions.createStartLink(this.iam.ownerCredentials.token))}`;
  }

  async start(): Promise<void> {
    const mirror = this.config.engine.dockerHubMirror && this.config.ports.registry !== 0;
    // Before the engine: a Podman service reads registries.conf.d only when it starts.
    if (mirror) this.writeMirrorConf();
    await this.startEngine();
    const { bind, ports } = this.config;
    const api = createApiServer(this.routeModules(), this.logger, (req) => this.consoleSessions.apply(req));
    const ingress = this.serving.createIngressServer();
    await this.blobStore.init();
    const registry = createServer(this.registryHandler());
    // Disposed after the ingress listener has closed: instances drain once no request can arrive.
    this.stack.push(() => this.serving.dispose());
    const addrs = {
      api: await this.serve(api, bind, ports.api),
      ingress: await this.serve(ingress, bind, ports.ingress),
      registry: await this.serve(registry, bind, ports.registry),
    };
    this.addrs = addrs;
    this.serving.start(addrs.ingress.port);
    await this.iam.start();
    this.stack.push(() => this.iam.dispose());
    await this.registry.start();
    this.stack.push(() => this.registry.dispose());
    this.builds.start();
    this.stack.push(() => this.builds.dispose());
    this.services.start();
    this.stack.push(() => this.services.dispose());
    this.scheduler.start();
    this.stack.push(() => this.scheduler.dispose());
    if (mirror) this.publishInBackground();
  }

  /** The registries.conf.d drop-in making this registry docker.io's mirror (docs/architecture.md). */
  private writeMirrorConf(): void {
    const host = `127.0.0.1:${this.config.ports.registry}`;
    try {
      const { path, changed } = writeDockerHubMirror(host);
      if (changed) this.logger.info({ path, host }, 'registry: docker.io mirror configured for the engine');
    } catch (err) {
      this.logger.warn({ err }, 'registry: could not write the docker.io mirror configuration');
    }
  }

  /**
   * Base images into library/ (blobs already there are skipped), without delaying start. Shutdown
   * waits for it only briefly: a push cut short by the closed listener is redone at the next start.
   */
  private publishInBackground(): void {
    const done = this.publishBaseImages().then(
      (refs) => this.logger.info({ images: refs.map((r) => r.ref) }, 'registry: base images published'),
      (err: unknown) => this.logger.warn({ err }, 'registry: publishing base images failed'),
    );
    this.stack.push(async () => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([done, new Promise((r) => (timer = setTimeout(r, 2000)))]);
      clearTimeout(timer);
    });
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

  private async serve(server: ClosableServer, host: string, port: number): Promise<AddressInfo> {
    const addr = await listen(server, host, port);
    this.stack.push(() => closeServer(server));
    return addr;
  }

  private routeModules(): RouteModule[] {
    return [
      iamRoutes(this.iam),
      cloudBuildRoutes({ builds: this.builds, auth: this.iam }),
      runV2Routes(this.services),
      runV1Routes(this.services, this.config.defaultRegion),
      loggingRoutes(this.iam, this.telemetry, this.config.defaultProject),
      schedulerRoutes(this.scheduler, this.iam),
      registryRoutes({
        registry: this.registry,
        db: this.db,
        iam: this.iam,
        defaultProject: this.config.defaultProject,
      }),
      consoleRoutes(this.consoleSessions, {
        project: this.config.defaultProject,
        region: this.config.defaultRegion,
      }),
    ];
  }

  /** Service URLs (SERVICE-NUMBER.REGION.<domain>) go to the ingress; other URLs are called directly. */
  private internalRoute(url: URL): { origin: string; headers: Record<string, string> } | undefined {
    const host = url.hostname.toLowerCase();
    if (!host.endsWith(`.${this.config.domain}`) || !this.addrs) return undefined;
    return { origin: this.urls.ingress, headers: { [INTERNAL_MARKER_HEADER]: this.internalMarker } };
  }

  private registryHandler(): RequestListener {
    const handler = createRegistryHandler({
      registry: this.registry,
      auth: this.registryAuth,
      logger: this.logger,
      defaultHost: () => new URL(this.urls.registry).host,
    });
    return instrumentRegistry(this.telemetry.metrics, handler);
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
