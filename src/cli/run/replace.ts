import { readFileSync } from 'node:fs';
import { yaml } from '../core/yaml.ts';
import type { Command } from 'commander';
import type { Container, Service, TrafficTarget } from '../../client/index.ts';
import { defineCommand, userError, type Context } from '../core/index.ts';
import { checkServiceName, findService, waitWithProgress } from './common.ts';
import { reportDeployed } from './deploy.ts';
import { INGRESS_V2 } from './krm.ts';

const RESERVED =
  /^(run\.googleapis\.com|cloud\.googleapis\.com|serving\.knative\.dev|autoscaling\.knative\.dev)\//;
type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const strMap = (v: unknown): Record<string, string> =>
  Object.fromEntries(
    Object.entries(obj(v))
      .filter(([k]) => !RESERVED.test(k))
      .map(([k, x]) => [k, String(x)]),
  );
const nonEmpty = <T extends object>(o: T): T | undefined => (Object.keys(o).length ? o : undefined);

function container(c: Obj): Container {
  const out: Container = { image: String(c.image ?? '') };
  for (const k of [
    'name',
    'command',
    'args',
    'env',
    'ports',
    'workingDir',
    'startupProbe',
    'livenessProbe',
    'volumeMounts',
  ]) {
    if (c[k] !== undefined) out[k] = c[k];
  }
  const limits = obj(obj(c.resources).limits);
  if (Object.keys(limits).length)
    out.resources = { limits: Object.fromEntries(Object.entries(limits).map(([k, v]) => [k, String(v)])) };
  return out;
}

/** A Knative serving.knative.dev/v1 Service (what `describe --format export` prints) as a v2 Service. */
export function krmToService(doc: Obj): { id: string; region?: string; service: Service } {
  const meta = obj(doc.metadata);
  const ann = obj(meta.annotations) as Record<string, string>;
  const tmeta = obj(obj(obj(doc.spec).template).metadata);
  const tann = obj(tmeta.annotations) as Record<string, string>;
  const tspec = obj(obj(obj(doc.spec).template).spec);
  const containers = (Array.isArray(tspec.containers) ? tspec.containers : []).map((c) => container(obj(c)));
  const first = containers[0];
  if (first && tann['run.googleapis.com/cpu-throttling'] === 'false')
    first.resources = { ...(first.resources ?? {}), cpuIdle: false };
  if (first && tann['run.googleapis.com/startup-cpu-boost'] === 'true')
    first.resources = { ...(first.resources ?? {}), startupCpuBoost: true };
  const scaling: { minInstanceCount?: number; maxInstanceCount?: number } = {};
  if (tann['autoscaling.knative.dev/minScale'])
    scaling.minInstanceCount = Number(tann['autoscaling.knative.dev/minScale']);
  if (tann['autoscaling.knative.dev/maxScale'])
    scaling.maxInstanceCount = Number(tann['autoscaling.knative.dev/maxScale']);
  const traffic: TrafficTarget[] = (
    Array.isArray(obj(doc.spec).traffic) ? (obj(doc.spec).traffic as Obj[]) : []
  ).map((t) =>
    t.latestRevision
      ? {
          type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST',
          percent: Number(t.percent ?? 0),
          tag: t.tag as string | undefined,
        }
      : {
          type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION',
          revision: String(t.revisionName),
          percent: Number(t.percent ?? 0),
          tag: t.tag as string | undefined,
        },
  );
  const env = tann['run.googleapis.com/execution-environment'];
  const service: Service = {
    description: ann['run.googleapis.com/description'],
    labels: nonEmpty(strMap(meta.labels)),
    annotations: nonEmpty(strMap(ann)),
    ingress: ann['run.googleapis.com/ingress']
      ? (INGRESS_V2[ann['run.googleapis.com/ingress']] ?? ann['run.googleapis.com/ingress'])
      : undefined,
    invokerIamDisabled: ann['run.googleapis.com/invoker-iam-disabled'] === 'true' ? true : undefined,
    customAudiences: ann['run.googleapis.com/custom-audiences']
      ? (JSON.parse(ann['run.googleapis.com/custom-audiences']) as string[])
      : undefined,
    template: {
      revision: tmeta.name ? String(tmeta.name) : undefined,
      labels: nonEmpty(strMap(tmeta.labels)),
      annotations: nonEmpty(strMap(tann)),
      scaling: nonEmpty(scaling),
      maxInstanceRequestConcurrency:
        tspec.containerConcurrency !== undefined ? Number(tspec.containerConcurrency) : undefined,
      timeout: tspec.timeoutSeconds !== undefined ? `${Number(tspec.timeoutSeconds)}s` : undefined,
      serviceAccount: tspec.serviceAccountName ? String(tspec.serviceAccountName) : undefined,
      executionEnvironment: env ? `EXECUTION_ENVIRONMENT_${env.toUpperCase()}` : undefined,
      containers,
    },
    traffic: traffic.length ? traffic : undefined,
  };
  return {
    id: String(meta.name ?? ''),
    region: obj(meta.labels)['cloud.googleapis.com/location'] as string | undefined,
    service: JSON.parse(JSON.stringify(service)) as Service,
  };
}

async function replace(ctx: Context, [file]: string[], opts: Record<string, unknown>): Promise<void> {
  let doc: Obj;
  try {
    doc = obj(yaml().parse(readFileSync(file!, 'utf8')));
  } catch (e) {
    throw userError(`Cannot read ${file}: ${(e as Error).message}`, 'BAD_SERVICE_FILE');
  }
  if (doc.kind !== 'Service' || !String(doc.apiVersion ?? '').startsWith('serving.knative.dev/')) {
    throw userError(
      `${file} is not a Knative Service (apiVersion serving.knative.dev/v1, kind Service); get one with \`tarmac run services describe SERVICE --format export\`.`,
      'BAD_SERVICE_FILE',
    );
  }
  const { id, region, service } = krmToService(doc);
  checkServiceName(id);
  const project = ctx.project();
  const where = ctx.flags.region || region || ctx.region();
  const name = `projects/${project}/locations/${where}/services/${id}`;
  const existing = await findService(ctx, name);
  const run = ctx.client().run;
  ctx.status(
    `Applying new configuration to Cloud Run service [${id}] in project [${project}] region [${where}]`,
  );
  const progress = ctx
    .progress(existing ? 'Deploying...' : 'Deploying new service...', [
      { key: 'revision', label: 'Creating Revision' },
      { key: 'traffic', label: 'Routing traffic' },
    ])
    .start();
  const op = await (
    existing
      ? run.updateService({ ...service, name, etag: existing.etag })
      : run.createService(`projects/${project}/locations/${where}`, id, service)
  ).catch((e: unknown) => {
    progress.finish(false, 'Deployment failed');
    throw e;
  });
  if (opts.async) {
    progress.finish(true);
    ctx.status(`New configuration for service [${id}] is being applied asynchronously.`);
    return;
  }
  await waitWithProgress(ctx, op, progress);
  progress.finish(true);
  reportDeployed(ctx, await run.getService(name));
}

export function registerReplace(group: Command): void {
  defineCommand(group, {
    name: 'replace <FILE>',
    summary: 'Create or replace a service from a Knative Service YAML file',
    examples: [
      'tarmac run services describe hello --format export > hello.yaml',
      'tarmac run services replace hello.yaml',
    ],
    run: replace,
  }).option('--async', 'return at once, without waiting for the operation to finish');
}
