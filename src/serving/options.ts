import type { InvokeAuthorizer } from '../model/index.ts';
import type { ContainerEngine, RegistryAuth } from '../runtime/index.ts';
import type { Clock, Logger } from '../shared/index.ts';
import type { InstanceRegistry, Severity } from './launcher.ts';
import type { ServingObserver } from './observer.ts';
import type { RequestHook } from './proxy.ts';

/** What `Serving` is built from (src/platform.ts; test/serving/rig.ts). */
export interface ServingOptions {
  /** The container engine; asked for on first use, since it may be connected after construction. */
  engine: () => ContainerEngine;
  clock: Clock;
  logger: Logger;
  /** Base domain of service URLs (config.domain). */
  domain: string;
  /** Folder for serving's own files (the instances' hosts file). */
  stateDir: string;
  /** Labels every container with its owning installation. */
  installationId: string;
  idleTimeoutSeconds: number;
  targetUtilization: number;
  /** How long requests wait at max instances before 429 (60 s). */
  queueWaitSeconds?: number;
  invokeAuthorizer?: InvokeAuthorizer;
  instanceRegistry?: InstanceRegistry;
  /** The metadata server's port on the host loopback, once it listens. */
  metadataPort?: () => number | undefined;
  /** The API listener's port on the host loopback (instances get TARMAC_API_ENDPOINT from it). */
  apiPort?: () => number | undefined;
  /** Credentials for pulling a revision's image (the built-in registry asks for them). */
  pullAuth?: (image: string) => Promise<RegistryAuth | undefined>;
  /** Receives every system log line (instance started, OOM, probe failures). */
  onSystemLog?: (revision: string, severity: Severity, text: string) => void;
  /** Receives every proxied request once it finished (request logs, metrics); keep it cheap. */
  onRequest?: RequestHook;
  /** Receives instance output and lifecycle facts (logs, metrics); keep it cheap. */
  observer?: ServingObserver;
  /**
   * Connect to instances inside their network namespace (NetnsDialer) where the engine's containers
   * are visible on this host; false: always through the published port. Default true.
   */
  dialInNamespace?: boolean;
  /** Secret value of INTERNAL_MARKER_HEADER that makes a request internal traffic (see marker.ts). */
  internalMarker?: string;
}
