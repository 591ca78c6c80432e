import type { Command } from 'commander';
import { collect, defineCommand, type Context } from '../core/index.ts';
import { applyChanges, desiredState, touchesTemplate } from './apply.ts';
import { getService, serviceTarget, waitWithProgress } from './common.ts';
import { chosenRevision, readChanges, reportDeployed } from './deploy.ts';
import { addServiceFlags } from './flags.ts';
import { computeTraffic, parseTrafficFlags, trafficSummary } from './traffic.ts';

async function update(ctx: Context, [service]: string[], opts: Record<string, unknown>): Promise<void> {
  const ch = readChanges(opts);
  const t = serviceTarget(ctx, service!);
  const existing = await getService(ctx, t);
  // As gcloud: a change to the revision template always makes a new revision, even when a flag
  // repeats the current value; service-level flags alone (ingress, description, ...) do not.
  const body = applyChanges(existing, ch, chosenRevision(service!, existing, ch, touchesTemplate(ch)));
  const progress = ctx
    .progress('Deploying...', [
      { key: 'revision', label: 'Creating Revision' },
      { key: 'traffic', label: 'Routing traffic' },
    ])
    .start();
  const run = ctx.client().run;
  const op = await run.updateService({ ...body, name: t.name }).catch((e: unknown) => {
    progress.finish(false, 'Deployment failed');
    throw e;
  });
  if (ch.async) {
    progress.finish(true);
    ctx.status(`Service [${service}] is deploying asynchronously.`);
    return;
  }
  await waitWithProgress(ctx, op, progress);
  progress.finish(true);
  reportDeployed(ctx, await run.getService(t.name), ch.tag);
}

async function updateTraffic(
  ctx: Context,
  [service]: string[],
  opts: Record<string, unknown>,
): Promise<void> {
  const ch = parseTrafficFlags(opts);
  const t = serviceTarget(ctx, service!);
  const existing = await getService(ctx, t);
  const traffic = computeTraffic(existing, ch);
  const run = ctx.client().run;
  const progress = ctx
    .progress('Updating traffic...', [{ key: 'traffic', label: 'Routing traffic' }])
    .start();
  const op = await run
    .updateService({ ...desiredState(existing), name: t.name, traffic })
    .catch((e: unknown) => {
      progress.finish(false, 'Updating traffic failed');
      throw e;
    });
  if (opts.async) {
    progress.finish(true);
    ctx.status(`Updating traffic of [${service}] asynchronously.`);
    return;
  }
  await waitWithProgress(ctx, op, progress);
  progress.finish(true);
  const svc = await run.getService(t.name);
  ctx.status(trafficSummary(svc));
}

export function registerUpdate(group: Command): void {
  const cmd = defineCommand(group, {
    name: 'update <SERVICE>',
    summary: 'Change the settings of a service (creates a new revision when the template changes)',
    examples: [
      'tarmac run services update hello --memory 1Gi --update-env-vars=MODE=fast',
      'tarmac run services update hello --max-instances 5 --concurrency 20',
      'tarmac run services update hello --no-invoker-iam-check',
    ],
    run: update,
  });
  addServiceFlags(cmd, false);
}

export function registerUpdateTraffic(group: Command): void {
  defineCommand(group, {
    name: 'update-traffic <SERVICE>',
    summary: 'Split traffic between revisions and set revision tags',
    description:
      'Set traffic percentages (--to-revisions, --to-tags, --to-latest) and tags (--set-tags, --update-tags, --remove-tags, --clear-tags). ' +
      'Tags are applied first. When the given percentages add up to less than 100, the other revisions serving traffic share the rest in proportion.',
    examples: [
      'tarmac run services update-traffic hello --to-latest',
      'tarmac run services update-traffic hello --to-revisions=hello-00001-abc=90,LATEST=10',
      'tarmac run services update-traffic hello --set-tags=canary=hello-00002-def --to-tags=canary=5',
    ],
    run: updateTraffic,
  })
    .option(
      '--to-revisions <REVISION=PERCENT,...>',
      'percentages per revision (LATEST for the latest ready revision)',
      collect,
    )
    .option('--to-tags <TAG=PERCENT,...>', 'percentages per tag', collect)
    .option('--to-latest', 'send all traffic to the latest ready revision')
    .option('--set-tags <TAG=REVISION,...>', 'replace all tags', collect)
    .option('--update-tags <TAG=REVISION,...>', 'add or move tags', collect)
    .option('--remove-tags <TAG,...>', 'remove tags', collect)
    .option('--clear-tags', 'remove all tags')
    .option('--async', 'return at once, without waiting for the operation to finish');
}
