import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { userError, type Context } from '../core/index.ts';
import {
  DOCKER_BUILDER,
  LOG_RULE,
  buildBucket,
  formatBuildTable,
  isTerminalStatus,
  parseDurationSeconds,
  type BuildStatus,
} from '../../model/index.ts';
import type { Build } from '../../client/index.ts';
import { formatSize, packSource, snapshotSource, stagingObjectName } from './archive.ts';

export interface SubmitOptions {
  dir: string;
  tag: string;
  /** Cloud Build location; `global` when not given. */
  location?: string;
  timeout?: string;
  async?: boolean;
  noCache?: boolean;
  ignoreFile?: string;
  /** Print the summary table on stdout after the log (builds submit does; run deploy does not). */
  table?: boolean;
  /** Stream the log (builds submit without --async / --suppress-logs). */
  streamLog?: boolean;
}

const REMOTE = ' REMOTE BUILD OUTPUT ';
const remoteHeader = (): string => {
  const left = Math.floor((LOG_RULE.length - REMOTE.length) / 2);
  return `${'-'.repeat(left)}${REMOTE}${'-'.repeat(LOG_RULE.length - left - REMOTE.length)}`;
};

/**
 * `builds submit DIR --tag IMAGE` as gcloud does it: snapshot DIR (.gcloudignore), upload the
 * tarball to PROJECT_cloudbuild/source/..., create a one-step docker build, follow its log, and fail
 * unless it ends SUCCESS. Returns the finished (or, with `async`, the created) build.
 */
export async function submitBuild(ctx: Context, o: SubmitOptions): Promise<Build> {
  const dir = resolve(o.dir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw userError(`could not find source [${o.dir}]`, 'SOURCE_NOT_FOUND');
  }
  if (!existsSync(join(dir, 'Dockerfile'))) {
    throw userError('Dockerfile required when specifying --tag', 'DOCKERFILE_REQUIRED');
  }
  let timeout: string | undefined;
  if (o.timeout !== undefined) {
    const secs = parseDurationSeconds(o.timeout);
    if (secs === undefined || secs < 1) {
      throw userError(`Invalid value for [--timeout]: ${o.timeout}; use a duration such as 600s, 10m or 1h.`);
    }
    timeout = `${secs}s`;
  }
  const project = ctx.project();
  const client = ctx.client();
  const snap = snapshotSource(dir, o.ignoreFile);
  ctx.status(
    `Creating temporary archive of ${snap.files} file(s) totalling ${formatSize(snap.bytes)} before compression.`,
  );
  const bucket = buildBucket(project);
  const object = stagingObjectName(Date.now(), randomUUID().replace(/-/g, ''));
  ctx.status(`Uploading tarball of [${o.dir}] to [gs://${bucket}/${object}]`);
  const staged = await client.builds.uploadSource(bucket, object, packSource(snap));
  const location = o.location ?? 'global';
  const step = {
    name: DOCKER_BUILDER,
    args: ['build', '--network', 'cloudbuild', ...(o.noCache ? ['--no-cache'] : []), '-t', o.tag, '.'],
  };
  const op = await client.builds.create(
    project,
    {
      source: { storageSource: { bucket, object, generation: staged.generation } },
      steps: [step],
      images: [o.tag],
      ...(timeout ? { timeout } : {}),
    },
    location,
  );
  const created = op.metadata?.build;
  if (!created?.id) throw userError('the API did not return the created build', 'BAD_RESPONSE', 'INTERNAL');
  const id = created.id;
  ctx.status(`Created [${client.http.endpoint}/v1/projects/${project}/locations/${location}/builds/${id}].`);
  ctx.status(`Logs are available at [ ${created.logUrl ?? ''} ].`);
  if (o.async) return created;
  if (o.streamLog !== false) {
    ctx.io.stdout.write(`${remoteHeader()}\n`);
    for await (const chunk of await client.builds.log(project, id, { location, follow: true })) {
      ctx.io.stdout.write(chunk);
    }
    ctx.io.stdout.write(`${LOG_RULE}\n`);
  }
  let b = await client.builds.get(project, id, location);
  // The log ends with the build; the record may trail it by a moment.
  for (let i = 0; i < 600 && !isTerminalStatus(b.status as BuildStatus); i++) {
    await new Promise((r) => setTimeout(r, 500));
    b = await client.builds.get(project, id, location);
  }
  if (o.table !== false) ctx.io.stdout.write(`${formatBuildTable([b])}\n`);
  if (b.status !== 'SUCCESS') {
    throw userError(`build ${id} completed with status "${b.status}"`, 'BUILD_FAILED', 'FAILED_PRECONDITION');
  }
  return b;
}

/** The image `run deploy --source` builds: REGION-docker.pkg.dev/PROJECT/cloud-run-source-deploy/SERVICE. */
export function sourceDeployImage(project: string, region: string, service: string): string {
  return `${region}-docker.pkg.dev/${project}/cloud-run-source-deploy/${service}`;
}

export const sourceLabel = (dir: string): string => (dir === '.' ? '.' : basename(dir));
