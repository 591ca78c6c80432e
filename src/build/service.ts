import { join } from 'node:path';
import {
  DEFAULT_BUILD_TIMEOUT_SECONDS,
  buildBucket,
  isTerminalStatus,
  parseDurationSeconds,
  type Build,
  type BuildStatus,
  type BuildStep,
} from '../model/index.ts';
import type { Db } from '../store/index.ts';
import type { ContainerEngine } from '../runtime/index.ts';
import { TarmacError, notFound, uuid, type Clock, type Logger, type TimerHandle } from '../shared/index.ts';
import { parseBuildFilter } from './filter.ts';
import { BuildLogs } from './logs.ts';
import { planFromSteps } from './plan.ts';
import { BuildRepo, type BuildRecord } from './repo.ts';
import { runBuild, type ImageTargets, type RunnerDeps } from './runner.ts';
import { SourceStore } from './sources.ts';

export interface BuildServiceOptions {
  db: Db;
  clock: Clock;
  logger: Logger;
  /** TARMAC_HOME/builds: sources (the build bucket) and logs. */
  dir: string;
  parallelism: number;
  maxSourceBytes: number;
  engine: () => Promise<ContainerEngine>;
  targets: ImageTargets;
  installationId: string;
  /** How long dispose() waits for engine builds left running by cancels (default 30 s). */
  detachedGraceMs?: number;
  /** Base URL of the API listener, for logUrl (known once the platform listens). */
  apiUrl: () => string;
  /** Told of every build that reached a final status (metrics); must return at once. */
  onFinished?: (build: Build) => void;
}

/** What a CreateBuild request carries (the Build fields a caller may set). */
export interface CreateBuildInput {
  source?: { storageSource?: { bucket?: string; object?: string; generation?: string } };
  steps?: BuildStep[];
  images?: string[];
  timeout?: string;
  tags?: string[];
}

export interface ListOptions {
  location?: string;
  filter?: string;
  pageSize?: number;
  pageToken?: string;
}

interface Running {
  ctl: AbortController;
  timer?: TimerHandle;
  done: Promise<void>;
}

const DETACHED_GRACE_MS = 30_000;
const INTERRUPTED = 'interrupted: tarmac stopped while the build was running';

/** Build records, the queue (at most `parallelism` builds WORKING) and their lifecycle. */
export class BuildService {
  readonly sources: SourceStore;
  readonly logs: BuildLogs;
  private readonly repo: BuildRepo;
  private readonly queue: string[] = [];
  private readonly running = new Map<string, Running>();
  private readonly runner: RunnerDeps;
  private stopped = false;

  constructor(private readonly o: BuildServiceOptions) {
    this.repo = new BuildRepo(o.db);
    this.sources = new SourceStore(o.db, join(o.dir, 'sources'), o.clock, o.maxSourceBytes);
    this.logs = new BuildLogs(join(o.dir, 'logs'));
    this.runner = {
      engine: o.engine,
      sources: this.sources,
      logs: this.logs,
      targets: o.targets,
      clock: o.clock,
      installationId: o.installationId,
      detached: new Set(),
    };
  }

  /** Ends builds a previous process left WORKING (INTERNAL_ERROR) and queues the ones still waiting. */
  start(): void {
    for (const rec of this.repo.withStatus(['WORKING'])) {
      this.logs.append(rec.build.id, 'ERROR', `ERROR: ${INTERRUPTED}`);
      this.finish(rec, { status: 'INTERNAL_ERROR', statusDetail: INTERRUPTED });
    }
    for (const rec of this.repo.withStatus(['PENDING', 'QUEUED'])) this.enqueue(rec);
  }

  /** Queues a build; `createdBy` (an IAM member) is whose rights its pushes use. */
  create(projectId: string, location: string, input: CreateBuildInput, createdBy?: string): Build {
    const src = input.source?.storageSource;
    if (!src?.bucket || !src.object) {
      throw new TarmacError('INVALID_ARGUMENT', 'source.storageSource with bucket and object is required', {
        reason: 'SOURCE_REQUIRED',
        fieldViolations: [{ field: 'source.storageSource', description: 'required' }],
      });
    }
    if (src.bucket !== buildBucket(projectId)) {
      throw new TarmacError(
        'PERMISSION_DENIED',
        `bucket ${src.bucket} does not belong to project ${projectId}`,
        {
          reason: 'FOREIGN_BUCKET',
        },
      );
    }
    const obj = this.sources.stat(src.bucket, src.object);
    if (!obj || (src.generation && src.generation !== obj.generation)) {
      throw new TarmacError('NOT_FOUND', `source gs://${src.bucket}/${src.object} not found`, {
        reason: 'SOURCE_NOT_FOUND',
      });
    }
    const steps = (input.steps ?? []).map((s) => ({ name: s.name, args: [...(s.args ?? [])] }));
    const images = [...(input.images ?? [])];
    const plan = planFromSteps(steps, images);
    const timeoutSeconds =
      input.timeout === undefined ? DEFAULT_BUILD_TIMEOUT_SECONDS : parseDurationSeconds(input.timeout);
    if (timeoutSeconds === undefined || timeoutSeconds < 1 || timeoutSeconds > 86_400) {
      throw new TarmacError(
        'INVALID_ARGUMENT',
        `timeout ${JSON.stringify(input.timeout)} must be 1s to 24h`,
        {
          reason: 'BAD_TIMEOUT',
          fieldViolations: [{ field: 'timeout', description: 'a duration from 1s to 86400s' }],
        },
      );
    }
    const id = uuid();
    const name = `projects/${projectId}/locations/${location}/builds/${id}`;
    const build: Build = {
      name,
      id,
      projectId,
      status: 'QUEUED',
      source: { storageSource: { bucket: src.bucket, object: src.object, generation: obj.generation } },
      steps,
      images,
      createTime: new Date(this.o.clock.now()).toISOString(),
      timeout: `${timeoutSeconds}s`,
      logsBucket: `gs://${buildBucket(projectId)}/logs`,
      logUrl: `${this.o.apiUrl()}/v1/${name}/log`,
      tags: [...(input.tags ?? [])],
    };
    const rec: BuildRecord = { build, location, plan, ...(createdBy ? { createdBy } : {}) };
    this.repo.insert(rec);
    this.enqueue(rec);
    return build;
  }

  get(projectId: string, id: string): Build {
    return this.record(projectId, id).build;
  }

  list(projectId: string, opts: ListOptions = {}): { builds: Build[]; nextPageToken?: string } {
    const pageSize = Math.min(Math.max(opts.pageSize || 50, 1), 1000);
    const keep = parseBuildFilter(opts.filter);
    let after = opts.pageToken ? decodeToken(opts.pageToken) : undefined;
    const out: Build[] = [];
    for (;;) {
      const batch = this.repo.list({ projectId, location: opts.location, after, limit: 200 });
      for (const r of batch) {
        if (!keep(r.build)) continue;
        if (out.length === pageSize) return { builds: out, nextPageToken: encodeToken(out[out.length - 1]!) };
        out.push(r.build);
      }
      if (batch.length < 200) return { builds: out };
      const last = batch[batch.length - 1]!.build;
      after = { createTime: last.createTime, id: last.id };
    }
  }

  /** Cancels a queued or running build; a finished build is returned unchanged. */
  async cancel(projectId: string, id: string): Promise<Build> {
    const rec = this.record(projectId, id);
    const run = this.running.get(id);
    if (run) {
      run.ctl.abort('CANCELLED');
      await run.done;
      return this.get(projectId, id);
    }
    if (!isTerminalStatus(rec.build.status)) {
      const i = this.queue.indexOf(id);
      if (i >= 0) this.queue.splice(i, 1);
      this.logs.append(id, 'CANCELLED', 'ERROR: Build was cancelled');
      this.finish(rec, { status: 'CANCELLED', statusDetail: 'Build was cancelled' });
    }
    return rec.build;
  }

  /** The log from `offset`, following it until the build ends when `follow` is set. */
  readLog(
    projectId: string,
    id: string,
    offset: number,
    follow: boolean,
    signal?: AbortSignal,
  ): AsyncIterable<Buffer> {
    this.record(projectId, id);
    const done = (): boolean =>
      !follow || this.stopped || isTerminalStatus(this.repo.get(id)?.build.status ?? 'SUCCESS');
    return this.logs.follow(id, offset, done, signal);
  }

  /** Running builds end INTERNAL_ERROR (they cannot survive the process); queued ones stay queued. */
  async dispose(): Promise<void> {
    this.stopped = true;
    this.logs.wakeAll();
    const runs = [...this.running.values()];
    for (const r of runs) r.ctl.abort('INTERNAL_ERROR');
    await Promise.all(runs.map((r) => r.done));
    // Let engine builds left running by cancels finish (bounded), so none is cut off mid-step.
    if (this.runner.detached.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(this.runner.detached),
        new Promise((r) => (timer = setTimeout(r, this.o.detachedGraceMs ?? DETACHED_GRACE_MS))),
      ]);
      clearTimeout(timer);
    }
  }

  private record(projectId: string, id: string): BuildRecord {
    const rec = this.repo.get(id);
    if (!rec || rec.build.projectId !== projectId)
      throw notFound(`build ${id} not found in project ${projectId}`);
    return rec;
  }

  private enqueue(rec: BuildRecord): void {
    this.queue.push(rec.build.id);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.running.size < this.o.parallelism && this.queue.length > 0) {
      const rec = this.repo.get(this.queue.shift()!);
      if (rec && !isTerminalStatus(rec.build.status)) this.launch(rec);
    }
  }

  private launch(rec: BuildRecord): void {
    const ctl = new AbortController();
    const b = rec.build;
    b.status = 'WORKING';
    b.startTime = new Date(this.o.clock.now()).toISOString();
    this.repo.update(rec);
    const secs = parseDurationSeconds(b.timeout) ?? DEFAULT_BUILD_TIMEOUT_SECONDS;
    const run: Running = { ctl, done: Promise.resolve() };
    run.timer = this.o.clock.setTimeout(() => ctl.abort('TIMEOUT'), secs * 1000);
    this.running.set(b.id, run);
    run.done = runBuild(rec, this.runner, ctl.signal, () => this.repo.update(rec))
      .catch((e: unknown) => ({ status: 'INTERNAL_ERROR' as BuildStatus, statusDetail: String(e) }))
      .then((outcome) => {
        if (ctl.signal.reason === 'INTERNAL_ERROR') {
          outcome = { status: 'INTERNAL_ERROR', statusDetail: INTERRUPTED };
        }
        this.o.clock.clearTimeout(run.timer!);
        this.running.delete(b.id);
        this.finish(rec, outcome);
        this.o.logger.info({ build: b.id, status: outcome.status }, 'build finished');
        this.pump();
      });
  }

  private finish(rec: BuildRecord, outcome: { status: BuildStatus; statusDetail?: string }): void {
    rec.build.status = outcome.status;
    if (outcome.statusDetail) rec.build.statusDetail = outcome.statusDetail;
    rec.build.finishTime = new Date(this.o.clock.now()).toISOString();
    for (const s of rec.build.steps) {
      if (s.status === undefined || s.status === 'WORKING' || s.status === 'QUEUED') {
        s.status =
          outcome.status === 'SUCCESS' ? 'SUCCESS' : s.status === 'WORKING' ? outcome.status : 'CANCELLED';
      }
    }
    this.repo.update(rec);
    this.logs.ended(rec.build.id);
    this.o.onFinished?.(rec.build);
  }
}

function encodeToken(b: Build): string {
  return Buffer.from(JSON.stringify({ t: b.createTime, i: b.id })).toString('base64url');
}

function decodeToken(token: string): { createTime: string; id: string } {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { t: string; i: string };
    if (typeof v.t === 'string' && typeof v.i === 'string') return { createTime: v.t, id: v.i };
  } catch {
    // fall through
  }
  throw new TarmacError('INVALID_ARGUMENT', 'invalid pageToken', { reason: 'BAD_PAGE_TOKEN' });
}
