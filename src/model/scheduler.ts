/**
 * Cloud Scheduler v1 resource shapes (JSON, lowerCamelCase) shared by the scheduler, the API, the client
 * and the console. Durations are google.protobuf.Duration strings ("180s"), times RFC 3339, body base64.
 */
export type HttpMethod = 'POST' | 'GET' | 'HEAD' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS';

export const HTTP_METHODS: readonly HttpMethod[] = [
  'POST',
  'GET',
  'HEAD',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
];

export interface OidcToken {
  serviceAccountEmail: string;
  /** Defaults to the target uri when empty. */
  audience?: string;
}

export interface OAuthToken {
  serviceAccountEmail: string;
  /** Defaults to https://www.googleapis.com/auth/cloud-platform when empty. */
  scope?: string;
}

export interface HttpTarget {
  uri: string;
  httpMethod?: HttpMethod;
  headers?: Record<string, string>;
  /** base64 */
  body?: string;
  oidcToken?: OidcToken;
  oauthToken?: OAuthToken;
}

export interface RetryConfig {
  retryCount?: number;
  maxRetryDuration?: string;
  minBackoffDuration?: string;
  maxBackoffDuration?: string;
  maxDoublings?: number;
}

export type JobState = 'STATE_UNSPECIFIED' | 'ENABLED' | 'PAUSED' | 'DISABLED' | 'UPDATE_FAILED';

export interface RpcStatus {
  code?: number;
  message?: string;
  details?: Record<string, unknown>[];
}

export interface Job {
  name: string;
  description?: string;
  schedule: string;
  timeZone: string;
  httpTarget: HttpTarget;
  retryConfig: RetryConfig;
  attemptDeadline: string;
  /** Output only. */
  state: JobState;
  status?: RpcStatus;
  scheduleTime?: string;
  lastAttemptTime?: string;
  userUpdateTime: string;
}

export interface ListJobsResponse {
  jobs: Job[];
  nextPageToken?: string;
}

/**
 * One attempt of one run (tarmac extension: Cloud Scheduler keeps this in Cloud Logging). Read with
 * GET /v1/projects/P/locations/L/jobs/J/executions.
 */
export interface JobExecution {
  /** The run's schedule time (the X-CloudScheduler-ScheduleTime of its attempts). */
  scheduleTime: string;
  /** 1 for the first attempt of a run, 2 for its first retry, ... */
  attempt: number;
  /** True for runs started with jobs.run. */
  manual: boolean;
  startTime: string;
  endTime: string;
  /** HTTP status of the response; absent when none came (deadline, connection refused, no token). */
  httpStatusCode?: number;
  /** Duration string, e.g. "0.012s". */
  latency: string;
  /** OK, or the canonical code of the failure (PERMISSION_DENIED for a 403, DEADLINE_EXCEEDED, ...). */
  status: { code: number; message: string; status: string };
  /** Why the attempt failed, in words; absent on success. */
  error?: string;
}

export interface ListJobExecutionsResponse {
  executions: JobExecution[];
  nextPageToken?: string;
}
