/**
 * Cloud Run Admin API v2 resources in their JSON shapes (lowerCamelCase; int64 as strings on output).
 * `ServiceSpec` is the stored desired state: what a user may set, after defaults.
 */

export const INGRESS_VALUES = [
  'INGRESS_TRAFFIC_ALL',
  'INGRESS_TRAFFIC_INTERNAL_ONLY',
  'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER',
  'INGRESS_TRAFFIC_NONE',
] as const;
export type Ingress = (typeof INGRESS_VALUES)[number];

export const TRAFFIC_LATEST = 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST';
export const TRAFFIC_REVISION = 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION';
export type TrafficType = typeof TRAFFIC_LATEST | typeof TRAFFIC_REVISION;

export interface EnvVar {
  name: string;
  value: string;
}

export interface Probe {
  initialDelaySeconds: number;
  timeoutSeconds: number;
  periodSeconds: number;
  failureThreshold: number;
  httpGet?: { path: string; port: number; httpHeaders?: { name: string; value: string }[] };
  tcpSocket?: { port: number };
}

export interface Container {
  name?: string;
  image: string;
  command?: string[];
  args?: string[];
  env: EnvVar[];
  resources: { limits: { cpu: string; memory: string }; cpuIdle: boolean; startupCpuBoost?: boolean };
  ports: { name: string; containerPort: number }[];
  workingDir?: string;
  startupProbe?: Probe;
  livenessProbe?: Probe;
}

export interface RevisionTemplate {
  revision?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  scaling: { minInstanceCount: number; maxInstanceCount: number };
  timeout: string;
  /** Filled with the project's default compute account when the user gives none. */
  serviceAccount?: string;
  containers: Container[];
  executionEnvironment?: 'EXECUTION_ENVIRONMENT_GEN1' | 'EXECUTION_ENVIRONMENT_GEN2';
  maxInstanceRequestConcurrency: number;
  sessionAffinity?: boolean;
}

export interface TrafficTarget {
  type: TrafficType;
  revision?: string;
  percent: number;
  tag?: string;
}

export interface TrafficTargetStatus extends TrafficTarget {
  uri?: string;
}

export interface ServiceSpec {
  description?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  client?: string;
  clientVersion?: string;
  ingress: Ingress;
  launchStage: string;
  template: RevisionTemplate;
  traffic: TrafficTarget[];
  scaling?: { minInstanceCount?: number; scalingMode?: string };
  invokerIamDisabled: boolean;
  defaultUriDisabled: boolean;
  customAudiences: string[];
}

export type ConditionState =
  | 'STATE_UNSPECIFIED'
  | 'CONDITION_PENDING'
  | 'CONDITION_RECONCILING'
  | 'CONDITION_FAILED'
  | 'CONDITION_SUCCEEDED';

export interface Condition {
  type: string;
  state: ConditionState;
  message?: string;
  lastTransitionTime?: string;
  severity?: 'ERROR' | 'WARNING' | 'INFO';
  reason?: string;
  revisionReason?: string;
}

/** The Service resource as the API returns it. */
export interface ServiceOutput extends ServiceSpec {
  name: string;
  uid: string;
  generation: string;
  createTime: string;
  updateTime: string;
  deleteTime?: string;
  creator: string;
  lastModifier: string;
  observedGeneration: string;
  terminalCondition: Condition;
  conditions: Condition[];
  latestReadyRevision?: string;
  latestCreatedRevision?: string;
  trafficStatuses: TrafficTargetStatus[];
  uri?: string;
  urls: string[];
  reconciling: boolean;
  etag: string;
}

/**
 * Fields of a Service only the server sets: an update ignores them (without an update mask) or refuses
 * them (in one), and a client sending a service back drops them. `etag` is listed too, though clients
 * send it back on purpose to detect concurrent changes.
 */
export const SERVICE_OUTPUT_ONLY = [
  'uid',
  'generation',
  'createTime',
  'updateTime',
  'deleteTime',
  'expireTime',
  'creator',
  'lastModifier',
  'observedGeneration',
  'terminalCondition',
  'conditions',
  'latestReadyRevision',
  'latestCreatedRevision',
  'trafficStatuses',
  'uri',
  'urls',
  'reconciling',
  'etag',
  'satisfiesPzs',
] as const satisfies readonly (keyof ServiceOutput | 'expireTime' | 'satisfiesPzs')[];

/** The Revision resource as the API returns it (a read-only snapshot of a template). */
export interface RevisionOutput {
  name: string;
  uid: string;
  generation: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  createTime: string;
  updateTime: string;
  deleteTime?: string;
  launchStage: string;
  service: string;
  scaling: { minInstanceCount: number; maxInstanceCount: number };
  maxInstanceRequestConcurrency: number;
  timeout: string;
  serviceAccount?: string;
  containers: Container[];
  executionEnvironment?: string;
  sessionAffinity?: boolean;
  reconciling: boolean;
  conditions: Condition[];
  observedGeneration: string;
  logUri?: string;
  etag: string;
}

export const SERVICE_TYPE = 'type.googleapis.com/google.cloud.run.v2.Service';
export const REVISION_TYPE = 'type.googleapis.com/google.cloud.run.v2.Revision';

/** google.longrunning.Operation. */
export interface OperationOutput {
  name: string;
  metadata?: Record<string, unknown>;
  done: boolean;
  response?: Record<string, unknown>;
  error?: { code: number; message: string; details: Record<string, unknown>[] };
}

/** What the reconciler last observed about a service (stored beside its spec). */
export interface ServiceStatus {
  observedGeneration: number;
  terminalCondition: Condition;
  conditions: Condition[];
  /** Short revision ids (SERVICE-00001-abc). */
  latestReadyRevision?: string;
  latestCreatedRevision?: string;
  trafficStatuses: TrafficTargetStatus[];
  uri?: string;
  urls: string[];
  reconciling: boolean;
  /** The routes last handed to the data plane (kept when a new revision fails). */
  appliedRoutes?: { revision: string; percent: number; tag?: string }[];
}
