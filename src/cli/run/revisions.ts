import type { Command } from 'commander';
import { isTarmacError } from '../../shared/index.ts';
import type { Revision, Service } from '../../client/index.ts';
import { defineCommand, defineGroup, userError, type Context } from '../core/index.ts';
import { checkServiceName, findService, waitWithProgress } from './common.ts';
import { describeRevision, revisionsTable } from './describe.ts';
import { exportView, parseName, revisionToKrm, shortName } from './krm.ts';

/** Revision names that serve traffic (or carry a tag) in a service. */
function serving(s: Service | undefined): Set<string> {
  const latest = shortName(s?.latestReadyRevision);
  return new Set(
    (s?.trafficStatuses ?? [])
      .filter((t) => (t.percent ?? 0) > 0)
      .map((t) => (t.type === 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST' ? latest : shortName(t.revision))),
  );
}

/** A revision's service is its name minus the `-00001-abc` / `-SUFFIX` tail; the API tells us exactly. */
async function findRevision(ctx: Context, revision: string): Promise<Revision> {
  const parent = `projects/${ctx.project()}/locations/${ctx.region()}`;
  const run = ctx.client().run;
  try {
    const all = await run.listRevisions(`${parent}/services/-`);
    const r = all.find((x) => shortName(x.name) === revision);
    if (r) return r;
  } catch (e) {
    if (!isTarmacError(e) || e.code !== 'NOT_FOUND') throw e;
  }
  throw userError(
    `Cannot find revision [${revision}] in region [${ctx.region()}]. List them with \`tarmac run revisions list\`.`,
    'REVISION_NOT_FOUND',
    'NOT_FOUND',
  );
}

async function list(ctx: Context, _args: string[], opts: Record<string, unknown>): Promise<void> {
  const parent = `projects/${ctx.project()}/locations/${ctx.region()}`;
  const service = opts.service as string | undefined;
  if (service) checkServiceName(service);
  const run = ctx.client().run;
  const revisions = await run.listRevisions(`${parent}/services/${service ?? '-'}`).catch((e: unknown) => {
    if (service && isTarmacError(e) && e.code === 'NOT_FOUND') {
      throw userError(
        `Cannot find service [${service}] in region [${ctx.region()}].`,
        'SERVICE_NOT_FOUND',
        'NOT_FOUND',
      );
    }
    throw e;
  });
  const names = [...new Set(revisions.map((r) => parseName(r.name).service))];
  const services = new Map(
    await Promise.all(
      names.map(async (n) => [n, await findService(ctx, `${parent}/services/${n}`)] as const),
    ),
  );
  const items = revisions
    .sort((a, b) => String(b.createTime ?? '').localeCompare(String(a.createTime ?? '')))
    .map((r) => revisionToKrm(r, serving(services.get(parseName(r.name).service)).has(shortName(r.name))));
  ctx.print(items, { list: true, defaultFormat: revisionsTable, exportView });
}

async function describe(ctx: Context, [revision]: string[]): Promise<void> {
  const r = await findRevision(ctx, revision!);
  const svc = await findService(ctx, r.service ?? r.name!.split('/revisions/')[0]!);
  ctx.print(revisionToKrm(r, serving(svc).has(revision!)), {
    defaultFormat: () => describeRevision(r),
    exportView,
  });
}

async function remove(ctx: Context, [revision]: string[], opts: Record<string, unknown>): Promise<void> {
  const r = await findRevision(ctx, revision!);
  await ctx.confirmOrCancel(`Revision [${revision}] will be deleted.`);
  const op = await ctx.client().run.deleteRevision(r.name!, r.etag);
  if (!opts.async) {
    const progress = ctx.progress(`Deleting [${revision}]...`, []).start();
    await waitWithProgress(ctx, op as never, progress);
    progress.finish(true, 'Done.');
  }
  ctx.status(`Deleted revision [${revision}].`);
}

/** `tarmac run revisions list|describe|delete` */
export function registerRevisions(run: Command): void {
  const group = defineGroup(run, 'revisions', 'View and delete revisions');
  defineCommand(group, {
    name: 'list',
    summary: 'List revisions (of one service with --service)',
    examples: [
      'tarmac run revisions list --service hello',
      'tarmac run revisions list --format="value(metadata.name)"',
    ],
    run: list,
  }).option('--service <SERVICE>', 'only the revisions of this service');
  defineCommand(group, {
    name: 'describe <REVISION>',
    summary: 'Show details of a revision',
    examples: [
      'tarmac run revisions describe hello-00001-abc',
      'tarmac run revisions describe hello-00001-abc --format=yaml',
    ],
    run: describe,
  });
  defineCommand(group, {
    name: 'delete <REVISION>',
    summary: 'Delete a revision that serves no traffic',
    examples: ['tarmac run revisions delete hello-00001-abc --quiet'],
    run: remove,
  }).option('--async', 'return at once, without waiting for the operation to finish');
}
