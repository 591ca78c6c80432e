/**
 * Wire shapes of the REST APIs tarmac serves, as Google documents them (lowerCamelCase JSON; int64 as
 * strings; durations as "300s"). Only the fields the CLI and console read or write are typed; every
 * object may carry more.
 */

import type {
  Condition as ModelCondition,
  Container as ModelContainer,
  EnvVar as ModelEnvVar,
  RevisionOutput,
  RevisionTemplate as ModelRevisionTemplate,
  ServiceOutput,
  TrafficTarget as ModelTrafficTarget,
  TrafficTargetStatus as ModelTrafficTargetStatus,
} from '../model/index.ts';

/**
 * A model type as a client sees it on the wire: every field optional (requests send only what they set,
 * answers may omit defaults), enums widened to strings, and room for fields this version does not know.
 * Derived from src/model, so the server's shapes and the client's cannot drift apart.
 */
export type Wire<T> = T extends string
  ? string
  : T extends readonly (infer U)[]
    ? Wire<U>[]
    : T extends object
      ? string extends keyof T
        ? { [k: string]: Wire<T[string & keyof T]> }
        : { [K in keyof T]?: Wire<T[K]> } & { [k: string]: unknown }
      : T;

export type Condition = Wire<ModelCondition>;
export type EnvVar = Wire<ModelEnvVar>;
export type Container = Wire<ModelContainer>;
export type RevisionTemplate = Wire<ModelRevisionTemplate>;
export type TrafficTarget = Wire<ModelTrafficTarget>;
export type TrafficTargetStatus = Wire<ModelTrafficTargetStatus>;
export type Service = Wire<ServiceOutput>;
export type Revision = Wire<RevisionOutput>;

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
