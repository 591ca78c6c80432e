import type { Command } from 'commander';
import { defineCommand, defineGroup, userError, type Context } from '../core/index.ts';
import { getService, serviceTarget, waitWithProgress } from './common.ts';
import { describeService, servicesTable } from './describe.ts';
import { exportView, serviceToKrm } from './krm.ts';
import { registerServiceIam } from './iam.ts';
import { registerUpdate, registerUpdateTraffic } from './update.ts';
import { registerReplace } from './replace.ts';
import { registerProxy } from './proxy.ts';
import { registerServiceLogs } from './logs.ts';

async function list(ctx: Context): Promise<void> {
  const project = ctx.project();
  const region = ctx.flags.region || ctx.props.get('run/region');
  const run = ctx.client().run;
  // Without a region gcloud lists every region; tarmac lists the default one unless one is set.
  const services = await run.listServices(`projects/${project}/locations/${region ?? ctx.region()}`);
  ctx.print(services.map(serviceToKrm), { list: true, defaultFormat: servicesTable, exportView });
}

async function describe(ctx: Context, [service]: string[]): Promise<void> {
  const svc = await getService(ctx, serviceTarget(ctx, service!));
  ctx.print(serviceToKrm(svc), { defaultFormat: () => describeService(svc), exportView });
}

async function remove(ctx: Context, [service]: string[], opts: Record<string, unknown>): Promise<void> {
  const t = serviceTarget(ctx, service!);
  await ctx.confirmOrCancel(`Service [${service}] will be deleted.`);
  const svc = await getService(ctx, t);
  const op = await ctx.client().run.deleteService(t.name, svc.etag);
  if (!opts.async) {
    const progress = ctx.progress(`Deleting [${service}]...`, []).start();
    await waitWithProgress(ctx, op, progress);
    progress.finish(true, 'Done.');
  }
  ctx.status(`Deleted service [${service}].`);
}

/** `tarmac run services ...` */
export function registerServices(run: Command): void {
  const group = defineGroup(run, 'services', 'List and manage services');
  defineCommand(group, {
    name: 'list',
    summary: 'List services',
    examples: [
      'tarmac run services list',
      'tarmac run services list --region us-central1 --format="value(metadata.name)"',
      'tarmac run services list --format=json',
    ],
    run: list,
  });
  defineCommand(group, {
    name: 'describe <SERVICE>',
    summary: 'Show details of a service',
    examples: [
      'tarmac run services describe hello',
      "tarmac run services describe hello --format='value(status.url)'",
      'tarmac run services describe hello --format export > hello.yaml',
    ],
    run: describe,
  });
  defineCommand(group, {
    name: 'delete <SERVICE>',
    summary: 'Delete a service and all its revisions',
    examples: ['tarmac run services delete hello --quiet'],
    run: remove,
  }).option('--async', 'return at once, without waiting for the operation to finish');
  registerUpdate(group);
  registerUpdateTraffic(group);
  registerServiceIam(group);
  registerReplace(group);
  registerProxy(group);
  registerServiceLogs(group);
}

export const noSuchRevision = (rev: string): Error =>
  userError(
    `Cannot find revision [${rev}]. List them with \`tarmac run revisions list\`.`,
    'REVISION_NOT_FOUND',
    'NOT_FOUND',
  );
