import type { Revision, Service } from '../../client/index.ts';
import { renderTable } from '../core/index.ts';
import { parseName, shortName, type Krm } from './krm.ts';

const symbol = (status?: string): string => (status === 'True' ? '✔' : status === 'False' ? '✘' : '…');

function readyOf(k: Krm): Record<string, unknown> | undefined {
  return ((k.status?.conditions as Record<string, unknown>[] | undefined) ?? []).find(
    (c) => c.type === 'Ready',
  );
}

/** `run services list` default: the gcloud table with a status symbol column. */
export function servicesTable(items: unknown): string {
  const rows = (items as Krm[]).map((k) => {
    const ready = readyOf(k);
    const a = (k.metadata.annotations ?? {}) as Record<string, string>;
    const labels = (k.metadata.labels ?? {}) as Record<string, string>;
    return [
      symbol(ready?.status as string | undefined),
      String(k.metadata.name ?? ''),
      labels['cloud.googleapis.com/location'] ?? '',
      String(k.status?.url ?? ''),
      a['serving.knative.dev/lastModifier'] ?? '',
      String(ready?.lastTransitionTime ?? ''),
    ];
  });
  if (rows.length === 0) return '';
  return renderTable(rows, ['', 'SERVICE', 'REGION', 'URL', 'LAST DEPLOYED BY', 'LAST DEPLOYED AT']);
}

/** `run revisions list` default table. */
export function revisionsTable(items: unknown): string {
  const rows = (items as Krm[]).map((k) => {
    const conds = (k.status?.conditions as Record<string, unknown>[] | undefined) ?? [];
    const ready = conds.find((c) => c.type === 'Ready');
    const active = conds.find((c) => c.type === 'Active')?.status === 'True';
    const labels = (k.metadata.labels ?? {}) as Record<string, string>;
    const a = (k.metadata.annotations ?? {}) as Record<string, string>;
    return [
      symbol(ready?.status as string | undefined),
      String(k.metadata.name ?? ''),
      active ? 'yes' : '',
      labels['serving.knative.dev/service'] ?? '',
      String(k.metadata.creationTimestamp ?? ''),
      a['serving.knative.dev/creator'] ?? '',
    ];
  });
  if (rows.length === 0) return '';
  return renderTable(rows, ['', 'REVISION', 'ACTIVE', 'SERVICE', 'DEPLOYED', 'DEPLOYED BY']);
}

function containerLines(
  c: NonNullable<Service['template']>['containers'] extends (infer C)[] | undefined ? C : never,
): string[] {
  const l = c.resources?.limits ?? {};
  return [
    `  Image:           ${c.image}`,
    `  Port:            ${c.ports?.[0]?.containerPort ?? 8080}`,
    `  Memory:          ${l.memory ?? '512Mi'}`,
    `  CPU:             ${l.cpu ?? '1'}`,
    ...(c.command?.length ? [`  Command:         ${c.command.join(' ')}`] : []),
    ...(c.args?.length ? [`  Args:            ${c.args.join(' ')}`] : []),
    ...(c.env?.length
      ? ['  Env vars:', ...c.env.map((e) => `    ${(e.name ?? '').padEnd(14)} ${e.value ?? ''}`)]
      : []),
  ];
}

/** `run services describe` default: the human summary gcloud prints. */
export function describeService(s: Service): string {
  const { region } = parseName(s.name);
  const ok = s.terminalCondition?.state === 'CONDITION_SUCCEEDED';
  const failed = s.terminalCondition?.state === 'CONDITION_FAILED';
  const latest = shortName(s.latestReadyRevision);
  const traffic = (s.trafficStatuses?.length ? s.trafficStatuses : (s.traffic ?? [])).map((t) => {
    const isLatest = t.type === 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST';
    const who = isLatest ? `LATEST (currently ${latest || 'none ready'})` : shortName(t.revision);
    return `  ${String(t.percent ?? 0).padStart(3)}% ${who}${t.tag ? `\n        ${t.tag}: ${'uri' in t && t.uri ? t.uri : ''}` : ''}`;
  });
  const t = s.template ?? {};
  const lines = [
    `${ok ? '✔' : failed ? '✘' : '…'} Service ${shortName(s.name)} in region ${region}`,
    '',
    `URL:     ${s.uri ?? ''}`,
    `Ingress: ${(s.ingress ?? 'INGRESS_TRAFFIC_ALL').replace('INGRESS_TRAFFIC_', '').toLowerCase().replace('_only', '').replace(/_/g, '-')}`,
    'Traffic:',
    ...traffic,
    '',
    `Last updated on ${s.updateTime ?? ''}${s.lastModifier ? ` by ${s.lastModifier}` : ''}:`,
    `  Revision ${shortName(s.latestCreatedRevision)}`,
    ...(t.containers ?? []).flatMap(containerLines),
    `  Service account: ${t.serviceAccount ?? ''}`,
    `  Concurrency:     ${t.maxInstanceRequestConcurrency ?? 80}`,
    ...(t.scaling?.minInstanceCount ? [`  Min Instances:   ${t.scaling.minInstanceCount}`] : []),
    `  Max Instances:   ${t.scaling?.maxInstanceCount ?? 100}`,
    `  Timeout:         ${t.timeout ?? '300s'}`,
    ...(failed && s.terminalCondition?.message ? ['', `Error: ${s.terminalCondition.message}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}

/** `run revisions describe` default. */
export function describeRevision(r: Revision): string {
  const { region, service } = parseName(r.name);
  const ready = r.conditions?.find((c) => c.type === 'Ready');
  const lines = [
    `${ready?.state === 'CONDITION_SUCCEEDED' ? '✔' : ready?.state === 'CONDITION_FAILED' ? '✘' : '…'} Revision ${shortName(r.name)} in region ${region}`,
    '',
    `Service:         ${service}`,
    `Created:         ${r.createTime ?? ''}`,
    ...(r.containers ?? []).flatMap(containerLines),
    `  Service account: ${r.serviceAccount ?? ''}`,
    `  Concurrency:     ${r.maxInstanceRequestConcurrency ?? 80}`,
    `  Max Instances:   ${r.scaling?.maxInstanceCount ?? 100}`,
    `  Timeout:         ${r.timeout ?? '300s'}`,
    ...(ready?.state === 'CONDITION_FAILED' && ready.message ? ['', `Error: ${ready.message}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}
