import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RevisionRuntimeSpec, RouteSpec, TrafficRoute } from '../../src/model/index.ts';
import { DockerEngine, LABEL_OWNER, type ContainerEngine } from '../../src/runtime/index.ts';
import { Serving, type ServingOptions } from '../../src/serving/index.ts';
import { SystemClock, closeServer, listen, randomSuffix, silentLogger } from '../../src/shared/index.ts';
import { BUSYBOX_IMAGE, appScript } from './app.ts';

export const PROJECT_NUMBER = '123456789012';
export const REGION = 'us-central1';

let shared: ContainerEngine | undefined;

/** The real engine: the one test/global-setup.ts found, else the development Podman socket. */
export function realEngine(): ContainerEngine {
  shared ??= new DockerEngine(
    process.env.TARMAC_TEST_ENGINE_HOST ?? process.env.TARMAC_ENGINE_HOST ?? 'unix:///run/podman/podman.sock',
  );
  return shared;
}

export interface Deployed {
  url: string;
  spec: RevisionRuntimeSpec;
}

/** A Serving on the real engine with its own ingress listener on 127.0.0.1:0 (tests and benches). */
export interface Rig {
  serving: Serving;
  port: number;
  /** Ensures a revision of the test app and routes 100 % of `service` to it (unless `routes`). */
  deploy(service: string, spec?: Partial<RevisionRuntimeSpec>, routes?: TrafficRoute[]): Promise<Deployed>;
  route(service: string, routes: TrafficRoute[]): string;
  /** The published 127.0.0.1 port of a revision's first instance. */
  hostPort(revision: string): Promise<number>;
  dispose(): Promise<void>;
}

/** A test app revision spec (busybox httpd with CGI endpoints, see app.ts). */
export function appSpec(service: string, over: Partial<RevisionRuntimeSpec> = {}): RevisionRuntimeSpec {
  return {
    name: `${service}-00001-${randomSuffix(3)}`,
    service,
    project: 'serving-test',
    projectNumber: PROJECT_NUMBER,
    region: REGION,
    image: BUSYBOX_IMAGE,
    command: ['sh', '-c', appScript()],
    env: [],
    containerPort: 8080,
    memoryBytes: 128 * 1024 * 1024,
    cpu: 1,
    timeoutSeconds: 30,
    concurrency: 80,
    minInstances: 0,
    maxInstances: 10,
    serviceAccountEmail: `${PROJECT_NUMBER}-compute@developer.gserviceaccount.com`,
    ...over,
  };
}

export async function startRig(opts: Partial<ServingOptions> = {}): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'tarmac-serving-'));
  const installationId = `test-${randomSuffix(8)}`;
  const serving = new Serving({
    engine: () => realEngine(),
    clock: new SystemClock(),
    logger: silentLogger(),
    domain: 'run.localhost',
    stateDir: dir,
    installationId,
    idleTimeoutSeconds: 900,
    targetUtilization: 0.6,
    ...opts,
  });
  const server = serving.createIngressServer();
  const { port } = await listen(server, '127.0.0.1', 0);
  serving.start(port);
  const route = (service: string, routes: TrafficRoute[]): string => {
    const spec: RouteSpec = {
      project: 'serving-test',
      projectNumber: PROJECT_NUMBER,
      region: REGION,
      service,
      routes,
      ingress: 'all',
      invokerIamDisabled: true,
      customAudiences: [],
    };
    serving.setRoutes(spec);
    return serving.serviceUrl({ number: PROJECT_NUMBER }, REGION, service);
  };
  let disposed: Promise<void> | undefined;
  return {
    serving,
    port,
    route,
    async deploy(service, over = {}, routes) {
      const spec = appSpec(service, over);
      const r = await serving.ensureRevision(spec);
      if (!r.ready) throw new Error(`revision not ready: ${r.reason}: ${r.message}\n${r.logTail.join('\n')}`);
      const url = route(service, routes ?? [{ revision: spec.name, percent: 100 }]);
      return { url, spec };
    },
    async hostPort(revision) {
      const list = await realEngine().list({
        [LABEL_OWNER]: installationId,
        'dev.tarmac.revision': revision,
      });
      const port = list.find((c) => c.running)?.hostPort;
      if (!port) throw new Error(`no running instance of ${revision}`);
      return port;
    },
    dispose() {
      disposed ??= (async () => {
        await closeServer(server, 2000);
        await serving.dispose();
        rmSync(dir, { recursive: true, force: true });
      })();
      return disposed;
    },
  };
}
