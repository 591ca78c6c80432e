/**
 * The contract between the control plane (services API and reconciler) and the data plane (serving).
 * A revision is immutable; routes say which revisions a service's hosts reach and in what share.
 */
export interface ProbeSpec {
  initialDelaySeconds: number;
  timeoutSeconds: number;
  periodSeconds: number;
  failureThreshold: number;
  httpGet?: { path: string; port: number; httpHeaders?: { name: string; value: string }[] };
  tcpSocket?: { port: number };
}

export interface RevisionRuntimeSpec {
  /** Revision id, e.g. hello-00001-abc. */
  name: string;
  service: string;
  project: string;
  projectNumber: string;
  region: string;
  /** Pullable image reference, already mapped onto the built-in registry. */
  image: string;
  command?: string[];
  args?: string[];
  env: { name: string; value: string }[];
  workingDir?: string;
  containerPort: number;
  memoryBytes: number;
  /** CPU limit in cores (0.08 to 8). */
  cpu: number;
  timeoutSeconds: number;
  concurrency: number;
  minInstances: number;
  maxInstances: number;
  serviceAccountEmail: string;
  startupProbe?: ProbeSpec;
  livenessProbe?: ProbeSpec;
}

export interface TrafficRoute {
  revision: string;
  percent: number;
  tag?: string;
}

export interface RouteSpec {
  project: string;
  projectNumber: string;
  region: string;
  service: string;
  routes: TrafficRoute[];
  ingress: 'all' | 'internal' | 'none';
  invokerIamDisabled: boolean;
  /** Extra accepted ID-token audiences besides the service and tag URLs. */
  customAudiences: string[];
}

export type RevisionReadiness =
  { ready: true } | { ready: false; reason: string; message: string; logTail: string[] };

/** What the data plane offers the reconciler. Implemented by src/serving. */
export interface DataPlane {
  /** Starts (or keeps) a revision; resolves when one instance passed its startup probe, or with why not. */
  ensureRevision(spec: RevisionRuntimeSpec): Promise<RevisionReadiness>;
  /** Drains a revision's instances (in-flight requests finish, SIGTERM, 10 s grace) and forgets it. */
  retireRevision(name: string): Promise<void>;
  /** Replaces the routing table for one service. */
  setRoutes(route: RouteSpec): void;
  removeRoutes(project: string, region: string, service: string): void;
  /** The service URL and tag URLs for a service name. */
  serviceUrl(project: { number: string }, region: string, service: string, tag?: string): string;
}

/**
 * Header that marks a request to the ingress as internal traffic from tarmac itself (the scheduler).
 * Its value is a per-process secret; the ingress strips it from every request, so no instance sees it.
 */
export const INTERNAL_MARKER_HEADER = 'x-tarmac-internal';

/** Per-revision load and instances, read when metrics are scraped (never pushed per request). */
export interface RevisionStats {
  project: string;
  service: string;
  revision: string;
  inflight: number;
  queued: number;
  starting: number;
  ready: number;
  draining: number;
}

/** What the ingress reports once per finished request (request logs and metrics). */
export interface RequestRecord {
  revision: string;
  service: string;
  method: string;
  url: string;
  status: number;
  latencyMs: number;
  responseSize: number;
  userAgent: string | undefined;
  remoteIp: string;
  instanceId: string | undefined;
  /** True when the request waited for an instance (a cold start or a full revision). */
  waited: boolean;
  /** Trace header as sent: X-Cloud-Trace-Context or traceparent. */
  trace: string | undefined;
  /** Request body size from Content-Length, or as counted. */
  requestSize: number;
  /** "HTTP/1.1" */
  protocol: string;
  /** The ingress answered 504 because the revision's timeout passed. */
  timedOut: boolean;
}
