/**
 * Wire shapes of the REST APIs tarmac serves, as Google documents them (lowerCamelCase JSON; int64 as
 * strings; durations as "300s"). Only the fields the CLI and console read or write are typed; every
 * object may carry more.
 */

export interface Condition {
  type?: string;
  state?: string;
  message?: string;
  lastTransitionTime?: string;
  severity?: string;
  reason?: string;
  revisionReason?: string;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueSource?: Record<string, unknown>;
}

export interface Container {
  name?: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  resources?: { limits?: Record<string, string>; cpuIdle?: boolean; startupCpuBoost?: boolean };
  ports?: { name?: string; containerPort?: number }[];
  workingDir?: string;
  startupProbe?: Record<string, unknown>;
  livenessProbe?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface RevisionTemplate {
  revision?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  scaling?: { minInstanceCount?: number; maxInstanceCount?: number };
  timeout?: string;
  serviceAccount?: string;
  containers?: Container[];
  maxInstanceRequestConcurrency?: number;
  executionEnvironment?: string;
  [k: string]: unknown;
}

export interface TrafficTarget {
  type?: string;
  revision?: string;
  percent?: number;
  tag?: string;
}

export interface TrafficTargetStatus extends TrafficTarget {
  uri?: string;
}

export interface Service {
  name?: string;
  description?: string;
  uid?: string;
  generation?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  createTime?: string;
  updateTime?: string;
  creator?: string;
  lastModifier?: string;
  client?: string;
  clientVersion?: string;
  ingress?: string;
  launchStage?: string;
  template?: RevisionTemplate;
  traffic?: TrafficTarget[];
  scaling?: { minInstanceCount?: number; scalingMode?: string };
  invokerIamDisabled?: boolean;
  defaultUriDisabled?: boolean;
  customAudiences?: string[];
  urls?: string[];
  uri?: string;
  observedGeneration?: string;
  terminalCondition?: Condition;
  conditions?: Condition[];
  latestReadyRevision?: string;
  latestCreatedRevision?: string;
  trafficStatuses?: TrafficTargetStatus[];
  reconciling?: boolean;
  etag?: string;
  [k: string]: unknown;
}

export interface Revision {
  name?: string;
  uid?: string;
  generation?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  createTime?: string;
  updateTime?: string;
  service?: string;
  scaling?: { minInstanceCount?: number; maxInstanceCount?: number };
  maxInstanceRequestConcurrency?: number;
  timeout?: string;
  serviceAccount?: string;
  containers?: Container[];
  reconciling?: boolean;
  conditions?: Condition[];
  observedGeneration?: string;
  logUri?: string;
  etag?: string;
  [k: string]: unknown;
}

export interface RpcStatus {
  code: number;
  message: string;
  status?: string;
  details?: Record<string, unknown>[];
}

export interface Operation<T = unknown> {
  name: string;
  metadata?: T & { '@type'?: string };
  done?: boolean;
  response?: T & { '@type'?: string };
  error?: RpcStatus;
}

export interface Binding {
  role: string;
  members: string[];
  condition?: { expression: string; title?: string; description?: string };
}

export interface Policy {
  version?: number;
  etag?: string;
  bindings?: Binding[];
}

export interface ServiceAccount {
  name?: string;
  projectId?: string;
  uniqueId?: string;
  email?: string;
  displayName?: string;
  description?: string;
  disabled?: boolean;
  [k: string]: unknown;
}

export interface ServiceAccountKey {
  name?: string;
  privateKeyType?: string;
  keyAlgorithm?: string;
  privateKeyData?: string;
  validAfterTime?: string;
  validBeforeTime?: string;
  keyType?: string;
  [k: string]: unknown;
}

export interface SchedulerJob {
  name?: string;
  description?: string;
  schedule?: string;
  timeZone?: string;
  state?: string;
  httpTarget?: {
    uri: string;
    httpMethod?: string;
    headers?: Record<string, string>;
    body?: string;
    oidcToken?: { serviceAccountEmail: string; audience?: string };
    oauthToken?: { serviceAccountEmail: string; scope?: string };
  };
  retryConfig?: Record<string, unknown>;
  attemptDeadline?: string;
  status?: RpcStatus;
  scheduleTime?: string;
  lastAttemptTime?: string;
  userUpdateTime?: string;
  [k: string]: unknown;
}

export interface Build {
  name?: string;
  id?: string;
  projectId?: string;
  status?: string;
  statusDetail?: string;
  source?: Record<string, unknown>;
  steps?: { name: string; args?: string[]; [k: string]: unknown }[];
  images?: string[];
  results?: { images?: { name: string; digest: string }[]; [k: string]: unknown };
  createTime?: string;
  startTime?: string;
  finishTime?: string;
  timeout?: string;
  logUrl?: string;
  logsBucket?: string;
  [k: string]: unknown;
}
