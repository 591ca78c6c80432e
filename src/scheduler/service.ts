import type { Db } from '../store/index.ts';
import type {
  Job,
  JobExecution,
  ListJobExecutionsResponse,
  ListJobsResponse,
  TokenMinter,
} from '../model/index.ts';
import { RPC_CODE, TarmacError, randomSuffix, type Clock, type Logger } from '../shared/index.ts';
import { HistoryRepo } from './history.ts';
import { HttpInvoker, type InternalRoute } from './invoker.ts';
import {
  applyUpdate,
  formatDuration,
  parseJobName,
  specToApi,
  validateJobSpec,
  type JobSpec,
} from './job.ts';
import { SchedulerLoop, type AttemptHook } from './loop.ts';
import { nextRun } from './next.ts';
import { JobRepo, jobNotFound, type JobRow } from './repo.ts';
import { protoTime } from './time.ts';

export interface SchedulerOptions {
  db: Db;
  clock: Clock;
  logger: Logger;
  minter?: TokenMinter;
  internalRoute?: InternalRoute;
  /** Connections per target origin. */
  connections?: number;
  drainMs?: number;
  /** Told of every finished attempt (metrics). */
  onAttempt?: AttemptHook;
}

/** Checks that the caller may act as a service account (iam.serviceAccounts.actAs); throws if not. */
export type ActAsCheck = (serviceAccountEmail: string) => Promise<void>;

const PARENT = /^projects\/([^/]+)\/locations\/([^/]+)$/;
const MAX_PAGE = 500;

/** Cloud Scheduler jobs: the operations behind the v1 REST surface, the durable loop, the invoker. */
export class Scheduler {
  readonly repo: JobRepo;
  readonly history: HistoryRepo;
  readonly loop: SchedulerLoop;
  private readonly invoker: HttpInvoker;
  private readonly clock: Clock;

  constructor(o: SchedulerOptions) {
    this.clock = o.clock;
    this.repo = new JobRepo(o.db);
    this.history = new HistoryRepo(o.db);
    this.invoker = new HttpInvoker({
      clock: o.clock,
      minter: o.minter,
      internalRoute: o.internalRoute,
      connections: o.connections,
    });
    this.loop = new SchedulerLoop({
      repo: this.repo,
      history: this.history,
      invoker: this.invoker,
      clock: o.clock,
      logger: o.logger,
      drainMs: o.drainMs,
      onAttempt: o.onAttempt,
    });
  }

  start(): void {
    this.loop.start();
  }

  /** Drains attempts in flight (see SchedulerLoop.dispose), then closes connections. */
  async dispose(): Promise<void> {
    await this.loop.dispose();
    await this.invoker.close();
  }

  async create(parent: string, body: Record<string, unknown>, actAs: ActAsCheck): Promise<Job> {
    const m = PARENT.exec(parent);
    if (!m)
      throw new TarmacError(
        'INVALID_ARGUMENT',
        `Invalid parent '${parent}': expected projects/PROJECT/locations/LOCATION`,
        { reason: 'INVALID_PARENT' },
      );
    const name =
      typeof body.name === 'string' && body.name !== '' ? body.name : `${parent}/jobs/${randomSuffix(20)}`;
    const n = parseJobName(name);
    if (`projects/${n.project}/locations/${n.location}` !== parent) {
      throw new TarmacError('INVALID_ARGUMENT', `Job name ${name} is not under ${parent}`, {
        reason: 'INVALID_JOB_NAME',
        fieldViolations: [{ field: 'name', description: `must start with ${parent}/jobs/` }],
      });
    }
    const now = this.clock.now();
    const spec = validateJobSpec(body, now);
    await checkAccounts(spec, actAs);
    this.repo.insert({
      name,
      project: n.project,
      location: n.location,
      spec,
      state: 'ENABLED',
      userUpdateTime: now,
      nextRunAt: nextRun(spec.schedule, spec.timeZone, now) ?? null,
    });
    this.loop.poke();
    return this.get(name);
  }

  get(name: string): Job {
    parseJobName(name);
    return toApi(this.repo.require(name));
  }

  list(parent: string, pageSize = MAX_PAGE, pageToken = ''): ListJobsResponse {
    const m = PARENT.exec(parent);
    if (!m)
      throw new TarmacError('INVALID_ARGUMENT', `Invalid parent '${parent}'`, { reason: 'INVALID_PARENT' });
    const size = Math.min(Math.max(1, pageSize || MAX_PAGE), MAX_PAGE);
    const after = pageToken ? Buffer.from(pageToken, 'base64url').toString('utf8') : '';
    const rows = this.repo.list(m[1]!, m[2]!, size + 1, after);
    const page = rows.slice(0, size);
    const out: ListJobsResponse = { jobs: page.map(toApi) };
    if (rows.length > size)
      out.nextPageToken = Buffer.from(page[page.length - 1]!.name).toString('base64url');
    return out;
  }

  /** UpdateJob: applies `updateMask` (comma-separated paths) or every field the body carries. */
  async patch(
    name: string,
    body: Record<string, unknown>,
    updateMask: string | undefined,
    actAs: ActAsCheck,
  ): Promise<Job> {
    parseJobName(name);
    if (typeof body.name === 'string' && body.name !== '' && body.name !== name) {
      throw new TarmacError('INVALID_ARGUMENT', 'job.name does not match the resource name', {
        reason: 'INVALID_JOB_NAME',
      });
    }
    const row = this.repo.require(name);
    const mask = updateMask
      ? updateMask
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : undefined;
    const merged = applyUpdate(specToApi(row.spec) as Record<string, unknown>, body, mask);
    const now = this.clock.now();
    const spec = validateJobSpec(merged, now);
    await checkAccounts(spec, actAs);
    const scheduleChanged = spec.schedule !== row.spec.schedule || spec.timeZone !== row.spec.timeZone;
    const nextRunAt = !scheduleChanged
      ? row.nextRunAt
      : row.state === 'ENABLED'
        ? (nextRun(spec.schedule, spec.timeZone, now) ?? null)
        : null;
    this.repo.update(name, spec, now, nextRunAt);
    this.loop.poke();
    return this.get(name);
  }

  delete(name: string): void {
    parseJobName(name);
    if (!this.repo.delete(name)) throw jobNotFound(name);
    this.loop.poke();
  }

  pause(name: string): Job {
    const row = this.repo.require(name);
    if (row.state !== 'ENABLED') throw stateError(name, row.state, 'pause', 'ENABLED');
    this.repo.setState(name, 'PAUSED', null, this.clock.now());
    this.loop.poke();
    return this.get(name);
  }

  resume(name: string): Job {
    const row = this.repo.require(name);
    if (row.state !== 'PAUSED' && row.state !== 'DISABLED')
      throw stateError(name, row.state, 'resume', 'PAUSED');
    const now = this.clock.now();
    this.repo.setState(name, 'ENABLED', nextRun(row.spec.schedule, row.spec.timeZone, now) ?? null, now);
    this.loop.poke();
    return this.get(name);
  }

  /** RunJob: dispatches now, even while a run is in flight or the job is paused. */
  run(name: string): Job {
    const row = this.repo.require(name);
    this.loop.runNow(row);
    return this.get(name);
  }

  executions(name: string, pageSize = 100, pageToken = ''): ListJobExecutionsResponse {
    this.repo.require(name);
    const size = Math.min(Math.max(1, pageSize || 100), 1000);
    const before = pageToken ? Number(Buffer.from(pageToken, 'base64url').toString('utf8')) || 0 : 0;
    const rows = this.history.list(name, size + 1, before);
    const page = rows.slice(0, size);
    const out: ListJobExecutionsResponse = {
      executions: page.map((e): JobExecution => ({
        scheduleTime: protoTime(e.scheduleTime),
        attempt: e.attempt,
        manual: e.manual,
        startTime: protoTime(e.startTime),
        endTime: protoTime(e.endTime),
        ...(e.httpStatus !== null ? { httpStatusCode: e.httpStatus } : {}),
        latency: formatDuration(Math.round(e.latencyMs)),
        status: {
          code: e.code === 'OK' ? 0 : (RPC_CODE[e.code as keyof typeof RPC_CODE] ?? 2),
          message: e.error ?? '',
          status: e.code,
        },
        ...(e.error !== null ? { error: e.error } : {}),
      })),
    };
    if (rows.length > size)
      out.nextPageToken = Buffer.from(String(page[page.length - 1]!.id)).toString('base64url');
    return out;
  }
}

async function checkAccounts(spec: JobSpec, actAs: ActAsCheck): Promise<void> {
  const t = spec.httpTarget;
  const email = t.oidcToken?.serviceAccountEmail ?? t.oauthToken?.serviceAccountEmail;
  if (email) await actAs(email);
}

function stateError(name: string, state: string, verb: string, need: string): TarmacError {
  return new TarmacError('FAILED_PRECONDITION', `Job ${name} is ${state}; only an ${need} job can ${verb}`, {
    reason: 'JOB_STATE',
  });
}

/** A stored job in the v1 JSON shape. */
export function toApi(row: JobRow): Job {
  const due = row.run?.retryAt ?? (row.state === 'ENABLED' ? row.nextRunAt : null);
  return {
    name: row.name,
    ...specToApi(row.spec),
    userUpdateTime: protoTime(row.userUpdateTime),
    state: row.state,
    ...(row.status ? { status: row.status } : {}),
    ...(due !== null ? { scheduleTime: protoTime(due) } : {}),
    ...(row.lastAttemptTime !== null ? { lastAttemptTime: protoTime(row.lastAttemptTime) } : {}),
  };
}
