import { join } from 'node:path';
import type { DataPlane, RevisionReadiness, RevisionRuntimeSpec, RouteSpec } from '../model/index.ts';
import { LABEL_KIND, LABEL_MANAGED, LABEL_OWNER, type Watch } from '../runtime/index.ts';
import { AddressPool } from './addresses.ts';
import { serviceHost, serviceUrl } from './hosts.ts';
import { HostsFile } from './hostsfile.ts';
import { KIND_INSTANCE, type LauncherDeps, type Severity } from './launcher.ts';
import type { Instance } from './instance.ts';
import type { RevisionStats } from './observer.ts';
import { Revision, type RevisionOptions } from './revision.ts';
import { RouteTable } from './routes.ts';
import { Ingress } from './ingress.ts';
import type { IngressServer } from './front.ts';
import type { ServingOptions } from './options.ts';

export type { ServingOptions } from './options.ts';

const SYSTEM_LOG_LINES = 200;

/** The data plane: revisions' instances, the routing table and the ingress request handlers. */
export class Serving implements DataPlane {
  private readonly routes: RouteTable;
  private readonly revisions = new Map<string, Revision>();
  private readonly pending = new Map<string, Promise<Revision>>();
  private readonly retiring = new Map<string, Promise<void>>();
  /** Every drain in progress, also of revisions revived since (dispose waits for all). */
  private readonly drains = new Set<Promise<void>>();
  /** Instance teardowns in progress, also of idle scale-downs (dispose waits for all). */
  private readonly teardowns = new Set<Promise<void>>();
  private readonly logs = new Map<string, string[]>();
  private readonly addresses = new AddressPool();
  private readonly byContainer = new Map<string, Instance>();
  private readonly images = new Set<string>();
  private deps: Promise<LauncherDeps> | undefined;
  private hostsFile: HostsFile | undefined;
  private watch: Watch | undefined;
  private port = 0;
  private disposed = false;
  private readonly ingress: Ingress;

  constructor(private readonly o: ServingOptions) {
    this.routes = new RouteTable(o.domain, (h) => serviceUrl(h, this.port));
    this.ingress = new Ingress({
      domain: o.domain,
      port: () => this.port,
      routes: this.routes,
      revision: (name) => this.live(name),
      pending: (name) => this.pending.get(name),
      isInternal: (remote) => this.isInternal(remote),
      clock: o.clock,
      logger: o.logger,
      invokeAuthorizer: o.invokeAuthorizer,
      onRequest: o.onRequest,
      internalMarker: o.internalMarker,
    });
  }

  /** Records the ingress port (service URLs carry it). */
  start(ingressPort: number): void {
    this.port = ingressPort;
    // Engine facts (the first `info` can take seconds) are fetched now, not on the first deploy.
    this.launcherDeps().catch(() => undefined);
  }

  private labels(): Record<string, string> {
    return { [LABEL_MANAGED]: 'true', [LABEL_OWNER]: this.o.installationId, [LABEL_KIND]: KIND_INSTANCE };
  }

  /** Engine facts, event watch and leftover cleanup, once, on first use (the engine may come later). */
  private launcherDeps(): Promise<LauncherDeps> {
    this.deps ??= (async () => {
      const engine = this.o.engine();
      const info = await engine.info();
      const hostLoopback = info.hostLoopbackAddress;
      const slirp = info.networkMode.startsWith('slirp4netns');
      if (slirp) {
        this.hostsFile = new HostsFile(join(this.o.stateDir, 'hosts'), hostLoopback);
        this.hostsFile.update(this.routes.hosts());
      }
      const labels = this.labels();
      for (const c of await engine.list(labels)) await engine.remove(c.id).catch(() => undefined);
      this.watch = engine.watch(labels, (e) => void this.onEngineEvent(e.id, e.type));
      return {
        engine,
        clock: this.o.clock,
        logger: this.o.logger,
        addresses: this.addresses,
        labels,
        networkMode: info.networkMode,
        hostLoopback,
        hostsFile: this.hostsFile?.path,
        pullAuth: this.o.pullAuth,
        metadataHost: () => {
          const p = this.o.metadataPort?.();
          return p ? `${hostLoopback}:${p}` : undefined;
        },
        apiEndpoint: () => {
          const p = this.o.apiPort?.();
          return p ? `http://${hostLoopback}:${p}` : undefined;
        },
        registry: this.o.instanceRegistry,
        systemLog: (rev: string, sev: Severity, text: string) => this.systemLog(rev, sev, text),
        observer: this.o.observer,
        byContainer: this.byContainer,
        teardowns: this.teardowns,
        dialInNamespace: this.o.dialInNamespace,
      };
    })().catch((e: unknown) => {
      this.deps = undefined;
      throw e;
    });
    return this.deps;
  }

  private async onEngineEvent(containerId: string, type: 'start' | 'die' | 'oom'): Promise<void> {
    const inst = this.byContainer.get(containerId);
    if (!inst || type === 'start') return;
    const rev = this.revisions.get(inst.revision);
    const s = await this.o
      .engine()
      .inspect(containerId)
      .catch(() => undefined);
    if (s?.running) return;
    const exit = {
      oomKilled: type === 'oom' || (s?.oomKilled ?? false),
      exitCode: s?.exitCode ?? null,
      ...(s?.memoryUsedBytes === undefined ? {} : { memoryUsedBytes: s.memoryUsedBytes }),
    };
    if (rev) rev.onExit(inst, exit);
    else inst.markExited(exit);
  }

  private systemLog(revision: string, severity: Severity, text: string): void {
    let lines = this.logs.get(revision);
    if (!lines) this.logs.set(revision, (lines = []));
    lines.push(`${severity} ${text}`);
    if (lines.length > SYSTEM_LOG_LINES) lines.splice(0, lines.length - SYSTEM_LOG_LINES);
    const level = severity === 'ERROR' ? 'error' : severity === 'WARNING' ? 'warn' : 'info';
    this.o.logger[level]({ revision }, text);
    this.o.onSystemLog?.(revision, severity, text);
  }

  /** Open connections to a revision's instances; `dialed`: inside their network namespace. */
  upstreamConnections(revision: string): { total: number; dialed: number } {
    return this.revisions.get(revision)?.upstreamConnections() ?? { total: 0, dialed: 0 };
  }

  /** Instances of a revision by state (tests, metrics, the console). */
  instanceCounts(revision: string): { starting: number; ready: number; draining: number } {
    return this.revisions.get(revision)?.instanceCounts() ?? { starting: 0, ready: 0, draining: 0 };
  }

  /** Load and instances of every live revision (metrics scrape). */
  stats(): RevisionStats[] {
    return [...this.revisions.values()].map((r) => ({
      project: r.spec.project,
      service: r.spec.service,
      revision: r.spec.name,
      ...r.stats(),
    }));
  }

  /** The runtime spec of a live revision (telemetry maps revision names to log resources). */
  revisionSpec(revision: string): RevisionRuntimeSpec | undefined {
    return this.revisions.get(revision)?.spec;
  }

  /** Recent system log lines of a revision ("SEVERITY text"), oldest first. */
  systemLogs(revision: string): string[] {
    return [...(this.logs.get(revision) ?? [])];
  }

  // ---- DataPlane --------------------------------------------------------------------------------

  /** A revision that takes requests: not one whose drain stopped it (its instances may still stop). */
  private live(name: string): Revision | undefined {
    const rev = this.revisions.get(name);
    return rev && !rev.retired ? rev : undefined;
  }

  async ensureRevision(spec: RevisionRuntimeSpec): Promise<RevisionReadiness> {
    if (this.disposed)
      return { ready: false, reason: 'SHUTTING_DOWN', message: 'tarmac is stopping', logTail: [] };
    // Traffic back on a revision being drained (update-traffic): it keeps its instances.
    const have = this.revisions.get(spec.name);
    if (have?.resume()) return have.readiness();
    // Registered synchronously, before the routes point here: requests wait for it as in a cold
    // start, never for the old instances' teardown (nor in the queue of a stopped revision).
    const registered = this.revisionFor(spec);
    let rev: Revision;
    try {
      rev = await registered;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      return { ready: false, reason: 'IMAGE_PULL_FAILED', message, logTail: [] };
    }
    return rev.readiness();
  }

  private revisionFor(spec: RevisionRuntimeSpec): Promise<Revision> {
    const have = this.live(spec.name);
    if (have) return Promise.resolve(have);
    let p = this.pending.get(spec.name);
    if (!p) {
      p = (async () => {
        const deps = await this.launcherDeps();
        // An image once seen stays known: a launch that finds it gone pulls it again (launcher.ts).
        if (!this.images.has(spec.image)) {
          if (!(await deps.engine.imageExists(spec.image)))
            await deps.engine.pull(spec.image, await this.o.pullAuth?.(spec.image));
          this.images.add(spec.image);
        }
        const rev = new Revision(spec, deps, this.revisionOptions());
        this.revisions.set(spec.name, rev);
        return rev;
      })().finally(() => this.pending.delete(spec.name));
      this.pending.set(spec.name, p);
    }
    return p;
  }

  private revisionOptions(): RevisionOptions {
    return {
      targetUtilization: this.o.targetUtilization,
      idleTimeoutMs: this.o.idleTimeoutSeconds * 1000,
      queueWaitMs: (this.o.queueWaitSeconds ?? 60) * 1000,
      queueLimit: 10_000,
      tickMs: 1000,
    };
  }

  async retireRevision(name: string): Promise<void> {
    // A revision still being registered (image check, engine facts) is retired once it exists, or
    // it would start an instance nobody stops (a progress deadline can fire that early).
    await this.pending.get(name)?.catch(() => undefined);
    const rev = this.revisions.get(name);
    if (!rev || rev.retired || rev.draining) return this.retiring.get(name);
    // A revived revision (ensureRevision after the drain stopped it) replaces this one in the map;
    // this drain still runs to its end and dispose() waits for it.
    const p: Promise<void> = rev
      .drain()
      .then((stopped) => {
        if (stopped && this.revisions.get(name) === rev) this.revisions.delete(name);
      })
      .finally(() => {
        if (this.retiring.get(name) === p) this.retiring.delete(name);
        this.drains.delete(p);
      });
    this.retiring.set(name, p);
    this.drains.add(p);
    return p;
  }

  setRoutes(route: RouteSpec): void {
    this.routes.set(route);
    this.hostsFile?.update(this.routes.hosts());
  }

  removeRoutes(project: string, region: string, service: string): void {
    this.routes.remove(project, region, service);
    this.hostsFile?.update(this.routes.hosts());
  }

  serviceUrl(project: { number: string }, region: string, service: string, tag?: string): string {
    return serviceUrl(serviceHost(project.number, region, service, this.o.domain, tag), this.port);
  }

  /** Whether a connection comes from one of this installation's instances. */
  isInternal(remoteAddress: string | undefined): boolean {
    if (!remoteAddress) return false;
    const a = remoteAddress.startsWith('::ffff:') ? remoteAddress.slice(7) : remoteAddress;
    return this.addresses.has(a);
  }

  /** The ingress listener, not listening yet (front.ts). */
  createIngressServer(): IngressServer {
    return this.ingress.createServer();
  }

  /** Drains every revision (in-flight requests finish, SIGTERM, 10 s grace) and stops watching. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all([...this.revisions.keys()].map((n) => this.retireRevision(n)));
    await Promise.all([...this.drains]);
    while (this.teardowns.size > 0) await Promise.all([...this.teardowns]);
    this.watch?.close();
  }
}
