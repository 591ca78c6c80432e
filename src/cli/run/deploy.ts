import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { yaml } from '../core/yaml.ts';
import type { Command } from 'commander';
import type { Service } from '../../client/index.ts';
import { defineCommand, UsageError, userError, type Context } from '../core/index.ts';
import { addServiceFlags, parseServiceFlags, type ServiceChanges } from './flags.ts';
import { applyChanges, nextRevisionName } from './apply.ts';
import { editBinding, modifyPolicy } from '../policy.ts';
import {
  INVOKER,
  findService,
  servicePolicy,
  serviceTarget,
  servingPercent,
  waitWithProgress,
  type Target,
} from './common.ts';
import { shortName } from './krm.ts';

const randomSuffix = (): string =>
  Array.from(randomBytes(3), (b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('');

export function readChanges(opts: Record<string, unknown>): ServiceChanges {
  return parseServiceFlags(opts, {
    readFile: (p) => readFileSync(p, 'utf8'),
    parseYaml: (t) => yaml().parse(t),
  });
}

/**
 * The revision name the CLI picks itself: SERVICE-SUFFIX for --revision-suffix, else a generated
 * SERVICE-NNNNN-xyz when `force` (as gcloud does, so that deploying the same image and settings again
 * still makes a new revision, which the server would not make for an unchanged template) or when
 * --tag needs to name the new revision.
 */
export function chosenRevision(
  service: string,
  existing: Service | undefined,
  ch: ServiceChanges,
  force: boolean,
): string | undefined {
  if (ch.revisionSuffix) return `${service}-${ch.revisionSuffix}`;
  if (ch.tag || (force && existing)) return nextRevisionName(service, existing, randomSuffix);
  return undefined;
}

/** Adds (true) or removes (false) allUsers as invoker; failure is a warning, as in gcloud. */
async function setPublic(
  ctx: Context,
  t: Target,
  allow: boolean,
  progress: ReturnType<Context['progress']>,
): Promise<void> {
  progress.set('iam', 'running');
  try {
    await modifyPolicy(servicePolicy(ctx, t.name), (p) => editBinding(p, INVOKER, 'allUsers', allow));
    progress.set('iam', 'done');
  } catch (e) {
    progress.set('iam', 'failed');
    ctx.warn(
      `Setting IAM policy failed: ${(e as Error).message}. Try \`tarmac run services ${allow ? 'add' : 'remove'}-iam-policy-binding ${shortName(t.name)} --region=${t.region} --member=allUsers --role=${INVOKER}\`.`,
    );
  }
}

/** Prints the outcome lines gcloud prints after a deploy or update. */
export function reportDeployed(ctx: Context, svc: Service, tag?: string): void {
  const name = shortName(svc.name);
  const revision = shortName(svc.latestCreatedRevision ?? svc.latestReadyRevision);
  const pct = servingPercent(svc, revision);
  ctx.status(
    `Service [${name}] revision [${revision}] has been deployed and is serving ${pct} percent of traffic.`,
  );
  const tagUrl = tag ? svc.trafficStatuses?.find((x) => x.tag === tag)?.uri : undefined;
  if (tagUrl) ctx.status(`The revision can be reached directly at ${tagUrl}`);
  if (svc.uri) ctx.status(`Service URL: ${svc.uri}`);
}

async function imageFor(
  ctx: Context,
  service: string,
  t: Target,
  opts: Record<string, unknown>,
  ch: ServiceChanges,
  existing: Service | undefined,
): Promise<void> {
  if (opts.source !== undefined) {
    if (ch.image)
      throw userError('[--image] and [--source] cannot be used together: pick one.', 'CONFLICTING_FLAGS');
    const { buildSource } = await import('./source.ts');
    ch.image = await buildSource(ctx, String(opts.source), { service, project: t.project, region: t.region });
    return;
  }
  if (!ch.image && !existing) {
    throw userError(
      'Missing required argument [--image]: Requires a container image to deploy (e.g. `gcr.io/PROJECT_ID/IMAGE_NAME`) if no build source is provided (--source).',
      'MISSING_IMAGE',
    );
  }
}

async function deploy(ctx: Context, args: string[], opts: Record<string, unknown>): Promise<void> {
  const service = args[0];
  if (!service)
    throw new UsageError(
      'Missing required argument [SERVICE]: name the service to deploy, e.g. `tarmac run deploy hello --image gcr.io/PROJECT_ID/hello`.',
    );
  const ch = readChanges(opts);
  const t = serviceTarget(ctx, service);
  const run = ctx.client().run;
  const existing = await findService(ctx, t.name);
  await imageFor(ctx, service, t, opts, ch, existing);
  // gcloud's deploy always makes a new revision, even for an unchanged image and settings.
  const body = applyChanges(existing, ch, chosenRevision(service, existing, ch, true));
  let allow = opts.allowUnauthenticated as boolean | undefined;
  if (allow === undefined && !existing && ch.invokerIamDisabled === undefined) {
    allow = (await ctx.confirm(`Allow unauthenticated invocations to [${service}]`, false)) || undefined;
  }
  ctx.status(
    `Deploying container to Cloud Run service [${service}] in project [${t.project}] region [${t.region}]`,
  );
  const stages = [
    { key: 'revision', label: 'Creating Revision' },
    { key: 'traffic', label: 'Routing traffic' },
    ...(allow !== undefined ? [{ key: 'iam', label: 'Setting IAM Policy' }] : []),
  ];
  const progress = ctx.progress(existing ? 'Deploying...' : 'Deploying new service...', stages).start();
  let op;
  try {
    op = existing
      ? await run.updateService({ ...body, name: t.name })
      : await run.createService(t.parent, service, body);
  } catch (e) {
    progress.finish(false, 'Deployment failed');
    throw e;
  }
  if (ch.async) {
    if (allow !== undefined) await setPublic(ctx, t, allow, progress);
    progress.finish(true, 'Done.');
    ctx.status(`Service [${service}] is deploying asynchronously.`);
    return;
  }
  await waitWithProgress(ctx, op, progress);
  progress.set('traffic', 'done');
  if (allow !== undefined) await setPublic(ctx, t, allow, progress);
  progress.finish(true);
  reportDeployed(ctx, await run.getService(t.name), ch.tag);
}

export function registerDeploy(group: Command): void {
  const cmd = defineCommand(group, {
    name: 'deploy [SERVICE]',
    summary: 'Create or update a service',
    description:
      'Deploy a container image (or build a source folder first) to a service, creating the service if it does not exist. ' +
      'A new revision is created and, unless --no-traffic is given, receives all the traffic.',
    examples: [
      'tarmac run deploy hello --image gcr.io/PROJECT_ID/hello',
      'tarmac run deploy hello --image gcr.io/PROJECT_ID/hello --no-allow-unauthenticated --region us-central1',
      'tarmac run deploy hello --image gcr.io/PROJECT_ID/hello --allow-unauthenticated --memory 1Gi --set-env-vars=GREETING=hi',
      'tarmac run deploy hello --source . --region us-central1',
      'tarmac run deploy hello --image gcr.io/PROJECT_ID/hello:v2 --no-traffic --tag=canary',
    ],
    run: deploy,
  });
  addServiceFlags(cmd, true);
}
