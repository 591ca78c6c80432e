import type { ContainerEngine, RegistryAuth } from '../runtime/index.ts';
import { LABEL_KIND, LABEL_MANAGED, LABEL_OWNER } from '../runtime/index.ts';
import type { BuildStatus, BuiltImage } from '../model/index.ts';
import { isTarmacError, type Clock } from '../shared/index.ts';
import { inspectSource } from './fetch.ts';
import type { BuildLogs } from './logs.ts';
import type { BuildRecord } from './repo.ts';
import type { SourceStore } from './sources.ts';

/** Where the builder pushes: the built-in registry, reached by the engine. */
export interface ImageTargets {
  /** Maps a user's image name (gcr.io/P/N, REGION-docker.pkg.dev/P/R/N, ...) onto the built-in registry. */
  resolve(image: string): { project: string; ref: string };
  /** Credentials the engine presents to the built-in registry when pushing into `project` as `member`. */
  credentials(project: string, member?: string): Promise<RegistryAuth>;
}

export interface RunnerDeps {
  engine: () => Promise<ContainerEngine>;
  sources: SourceStore;
  logs: BuildLogs;
  targets: ImageTargets;
  clock: Clock;
  installationId: string;
  /** Engine builds still running after their build was cancelled or timed out. */
  detached: Set<Promise<unknown>>;
}

export interface Outcome {
  status: BuildStatus;
  statusDetail?: string;
}

type Phase = 'FETCHSOURCE' | 'BUILD' | 'PUSH';

/** A failure the build's own content caused (FAILURE), as opposed to the platform (INTERNAL_ERROR). */
class StepFailure extends Error {}

/**
 * Runs one build through FETCHSOURCE, BUILD and PUSH, writing Cloud Build's log shape and recording
 * timing on the record as it goes (`save` persists it). Aborting `signal` with reason CANCELLED or
 * TIMEOUT ends the build in that status.
 */
export async function runBuild(
  rec: BuildRecord,
  deps: RunnerDeps,
  signal: AbortSignal,
  save: () => void,
): Promise<Outcome> {
  const { build, plan } = rec;
  const log = (...lines: string[]): void => deps.logs.append(build.id, ...lines);
  const iso = (): string => new Date(deps.clock.now()).toISOString();
  const phase = async <T>(name: Phase, fn: () => Promise<T>): Promise<T> => {
    signal.throwIfAborted();
    const span: { startTime: string; endTime?: string } = { startTime: iso() };
    build.timing = { ...build.timing, [name]: span };
    save();
    log(name);
    try {
      return await fn();
    } finally {
      span.endTime = iso();
      save();
    }
  };
  const step = build.steps[0]!;
  const stepLabel = `build step 0 "${step.name}"`;
  try {
    log(`starting build "${build.id}"`, '');
    const src = build.source.storageSource;
    await phase('FETCHSOURCE', async () => {
      log(`Fetching storage object: gs://${src.bucket}/${src.object}#${src.generation ?? ''}`);
      const summary = await inspectSource(
        deps.sources.open(src.bucket, src.object, src.generation),
        signal,
      ).catch((e: unknown) => {
        throw isTarmacError(e) && e.reason === 'BAD_SOURCE_ARCHIVE' ? new StepFailure(e.message) : e;
      });
      log(`Fetched ${summary.files} file(s), ${summary.bytes} bytes.`);
      if (!summary.has(plan.dockerfile)) {
        throw new StepFailure(`Dockerfile required: no ${plan.dockerfile} at the root of the source`);
      }
    });
    const engine = await deps.engine();
    const refs = plan.tags.map((t) => ({ tag: t, ...deps.targets.resolve(t) }));
    const local = `localhost/tarmac-build-${build.id}:latest`;
    await phase('BUILD', async () => {
      step.status = 'WORKING';
      const span: { startTime: string; endTime?: string } = { startTime: iso() };
      step.timing = span;
      log(`Already have image (with digest): ${step.name}`);
      try {
        // Podman's API cannot stop a build: a dropped connection ends it after the current step and
        // leaves its working container behind. So an aborted build is not cut off but left to finish
        // on its own, detached from the record, and its image is removed when it does.
        const running = engine.build({
          context: deps.sources.open(src.bucket, src.object, src.generation),
          tag: local,
          dockerfile: plan.dockerfile,
          noCache: plan.noCache,
          // A --no-cache build uses no cached layers, so writing an image per instruction for a later
          // cache is not worth a commit per step (each costs 0.1-0.3 s): one commit at the end.
          layers: !plan.noCache,
          buildArgs: plan.buildArgs,
          labels: { [LABEL_MANAGED]: 'true', [LABEL_OWNER]: deps.installationId, [LABEL_KIND]: 'build' },
          onLog: (line) => {
            if (!signal.aborted) log(line.replace(/\n+$/, ''));
          },
        });
        await untilAborted(running, signal, () => {
          const tail = running.then(() => engine.removeImage(local)).catch(() => undefined);
          deps.detached.add(tail);
          void tail.then(() => deps.detached.delete(tail));
        });
        for (const r of refs) await engine.tag(local, r.ref);
        await engine.removeImage(local).catch(() => undefined);
        step.status = 'SUCCESS';
      } catch (e) {
        step.status = signal.aborted ? (signal.reason as BuildStatus) : 'FAILURE';
        if (signal.aborted || (isTarmacError(e) && e.code === 'UNAVAILABLE')) throw e;
        const why = (e instanceof Error ? e.message : String(e)).replace(/^build of \S+ failed: /, '').trim();
        throw new StepFailure(`${stepLabel} failed: ${why}`);
      } finally {
        span.endTime = iso();
      }
    });
    if (plan.images.length > 0) {
      const results: BuiltImage[] = [];
      await phase('PUSH', async () => {
        for (const r of refs.filter((x) => plan.images.includes(x.tag))) {
          const startTime = iso();
          log(`Pushing ${r.tag}`);
          const auth = await deps.targets.credentials(r.project, rec.createdBy);
          const { digest } = await engine.push(r.ref, auth, (line) => log(line.replace(/\n+$/, '')));
          const tagName = /:([\w][\w.-]{0,127})$/.exec(r.tag.split('/').pop() ?? '')?.[1] ?? 'latest';
          log(`${tagName}: digest: ${digest}`);
          results.push({ name: r.tag, digest, pushTiming: { startTime, endTime: iso() } });
        }
      });
      build.results = { images: results, buildStepImages: [] };
    }
    log('DONE');
    return { status: 'SUCCESS' };
  } catch (e) {
    if (signal.aborted) {
      const status = signal.reason as BuildStatus;
      const detail = status === 'TIMEOUT' ? `Build timeout after ${build.timeout}` : 'Build was cancelled';
      log(status === 'TIMEOUT' ? 'TIMEOUT' : 'CANCELLED', `ERROR: ${detail}`);
      return { status, statusDetail: detail };
    }
    const msg = (e instanceof Error ? e.message : String(e)).trim();
    log('ERROR', `ERROR: ${msg}`);
    if (e instanceof StepFailure) return { status: 'FAILURE', statusDetail: `Build step failure: ${msg}` };
    return { status: 'INTERNAL_ERROR', statusDetail: msg };
  }
}

/** Resolves with `p`, or rejects as soon as `signal` aborts (then `detach` gets the still-running work). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal, detach: () => void): Promise<T> {
  if (signal.aborted) {
    detach();
    return Promise.reject(new Error(String(signal.reason)));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      detach();
      reject(new Error(String(signal.reason)));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
