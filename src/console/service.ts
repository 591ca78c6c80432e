import type { Revision, Service, TrafficTarget } from '../client/index.ts';
import { RunV2Client } from '../client/index.ts';
import { api, message, view } from './api.ts';
import { h, input, notice, short, table, when } from './dom.ts';
import { revisionForm } from './deploy.ts';
import { status } from './services.ts';
import { logsPanel } from './logs.ts';
import { chartsPanel } from './charts.ts';
import { permissionsPanel } from './permissions.ts';
import type { Page } from './api.ts';

const LATEST = 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST';

/** A service: URL, revisions with traffic, traffic editor, settings, deploy form, logs, charts, permissions. */
export const servicePage: Page = async (main, ctx, [id]) => {
  const name = `${RunV2Client.parent(ctx.project, ctx.region)}/services/${id}`;
  const [svc, revisions, accounts] = await Promise.all([
    api.run.getService(name),
    api.run.listRevisions(name),
    api.iam.listServiceAccounts(ctx.project).catch(() => []),
  ]);
  const out = h('div', { 'aria-live': 'polite', class: 'out' });
  const deploy = revisionForm(svc, accounts);
  const onDeploy = async (ev: Event): Promise<void> => {
    ev.preventDefault();
    out.replaceChildren(notice('Deploying a new revision…'));
    try {
      const { template, ingress } = deploy.read();
      const op = await api.run.updateService({ ...svc, name, template, ingress });
      const done = await api.run.wait(op);
      if (done.error) throw new Error(done.error.message);
      await reload();
    } catch (e) {
      out.replaceChildren(notice(message(e), 'alert'));
    }
  };
  const reload = async (): Promise<void> => view.refresh();
  const logs = logsPanel(ctx.project, id!);
  const charts = chartsPanel(ctx.project, id!);
  main.append(
    h('h1', {}, id),
    h(
      'p',
      {},
      'Status: ',
      h('strong', {}, status(svc)),
      ' · URL: ',
      svc.uri
        ? h('a', { href: svc.uri, target: '_blank', rel: 'noopener', id: 'service-url' }, svc.uri)
        : 'none yet',
    ),
    out,
    h(
      'section',
      { 'aria-labelledby': 'h-rev' },
      h('h2', { id: 'h-rev' }, 'Revisions'),
      revisionsTable(svc, revisions),
    ),
    h(
      'section',
      { 'aria-labelledby': 'h-traffic' },
      h('h2', { id: 'h-traffic' }, 'Traffic'),
      trafficEditor(svc, revisions, name, out, reload),
    ),
    h(
      'section',
      { 'aria-labelledby': 'h-settings' },
      h('h2', { id: 'h-settings' }, 'Settings'),
      settings(svc),
    ),
    h(
      'section',
      { 'aria-labelledby': 'h-deploy' },
      h('h2', { id: 'h-deploy' }, 'Deploy new revision'),
      h(
        'form',
        { 'aria-label': 'Deploy new revision', onsubmit: (ev: Event) => void onDeploy(ev) },
        deploy.el,
        h('button', { type: 'submit' }, 'Deploy'),
      ),
    ),
    h('section', { 'aria-labelledby': 'h-metrics' }, h('h2', { id: 'h-metrics' }, 'Metrics'), charts.el),
    h('section', { 'aria-labelledby': 'h-logs' }, h('h2', { id: 'h-logs' }, 'Logs'), logs.el),
    h(
      'section',
      { 'aria-labelledby': 'h-perm' },
      h('h2', { id: 'h-perm' }, 'Permissions'),
      await permissionsPanel(name, ctx.project),
    ),
  );
  return () => {
    logs.stop();
    charts.stop();
  };
};

function percentOf(svc: Service, rev: string): number {
  return (svc.trafficStatuses ?? svc.traffic ?? [])
    .filter((t) => t.revision === rev || (t.type === LATEST && svc.latestReadyRevision?.endsWith(`/${rev}`)))
    .reduce((n, t) => n + (t.percent ?? 0), 0);
}

function revisionsTable(svc: Service, revisions: Revision[]): HTMLElement {
  const rows = revisions.map((r) => {
    const c = r.containers?.[0];
    const ready = r.conditions?.find((x) => x.type === 'Ready')?.state === 'CONDITION_SUCCEEDED';
    return [
      short(r.name),
      `${percentOf(svc, short(r.name))}%`,
      c?.image ?? '',
      ready ? 'Ready' : r.reconciling ? 'Deploying' : 'Not ready',
      when(r.createTime),
    ];
  });
  return table('Revisions', ['Revision', 'Traffic', 'Image', 'Status', 'Created'], rows, true);
}

/** Percent per revision (plus "latest") and an optional tag each; the sum must be 100. */
function trafficEditor(
  svc: Service,
  revisions: Revision[],
  name: string,
  out: HTMLElement,
  reload: () => Promise<void>,
): HTMLElement {
  const current = svc.traffic ?? [];
  const latestPct = current.filter((t) => t.type === LATEST).reduce((n, t) => n + (t.percent ?? 0), 0);
  const rowsData = [
    {
      key: LATEST,
      label: 'Latest ready revision',
      percent: latestPct,
      tag: current.find((t) => t.type === LATEST)?.tag ?? '',
    },
    ...revisions.map((r) => {
      const rev = short(r.name);
      const ts = current.filter((t) => t.revision === rev);
      return {
        key: rev,
        label: rev,
        percent: ts.reduce((n, t) => n + (t.percent ?? 0), 0),
        tag: ts.find((t) => t.tag)?.tag ?? '',
      };
    }),
  ];
  const inputs = rowsData.map((r) => ({
    r,
    pct: input(`percent-${r.key}`, String(r.percent), {
      type: 'number',
      min: 0,
      max: 100,
      'aria-label': `Percent for ${r.label}`,
    }),
    tag: input(`tag-${r.key}`, r.tag, {
      'aria-label': `Tag for ${r.label}`,
      pattern: '[a-z]([-a-z0-9]*[a-z0-9])?',
    }),
  }));
  const total = h('output', { 'aria-live': 'polite' });
  const sum = (): number => inputs.reduce((n, i) => n + Number(i.pct.value || 0), 0);
  const update = (): void => {
    total.textContent = `Total: ${sum()}%`;
  };
  update();
  const submit = async (ev: Event): Promise<void> => {
    ev.preventDefault();
    if (sum() !== 100) {
      out.replaceChildren(notice(`Traffic must add up to 100% (now ${sum()}%).`, 'alert'));
      return;
    }
    const traffic: TrafficTarget[] = [];
    for (const { r, pct, tag } of inputs) {
      const percent = Number(pct.value || 0);
      if (percent === 0 && !tag.value) continue;
      const t: TrafficTarget =
        r.key === LATEST
          ? { type: LATEST, percent }
          : { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: r.key, percent };
      if (tag.value) t.tag = tag.value;
      traffic.push(t);
    }
    try {
      const done = await api.run.wait(await api.run.updateService({ ...svc, name, traffic }));
      if (done.error) throw new Error(done.error.message);
      await reload();
    } catch (e) {
      out.replaceChildren(notice(message(e), 'alert'));
    }
  };
  return h(
    'form',
    { 'aria-label': 'Traffic split', oninput: update, onsubmit: (ev: Event) => void submit(ev) },
    table(
      'Traffic split',
      ['Target', 'Percent', 'Tag'],
      inputs.map((i) => [i.r.label, i.pct, i.tag]),
      true,
    ),
    total,
    h('button', { type: 'submit' }, 'Save traffic'),
  );
}

function settings(svc: Service): HTMLElement {
  const t = svc.template ?? {};
  const c = t.containers?.[0];
  const lim = c?.resources?.limits ?? {};
  const items: [string, string][] = [
    ['Image', c?.image ?? ''],
    ['Memory', lim.memory ?? '512Mi'],
    ['CPU', lim.cpu ?? '1'],
    ['Timeout', t.timeout ?? '300s'],
    ['Concurrency', String(t.maxInstanceRequestConcurrency ?? 80)],
    ['Min instances', String(t.scaling?.minInstanceCount ?? 0)],
    ['Max instances', String(t.scaling?.maxInstanceCount ?? 100)],
    ['Environment', (c?.env ?? []).map((e) => `${e.name}=${e.value ?? ''}`).join(', ') || 'none'],
    ['Service account', t.serviceAccount ?? 'default compute service account'],
    ['Ingress', (svc.ingress ?? 'INGRESS_TRAFFIC_ALL').replace('INGRESS_TRAFFIC_', '').toLowerCase()],
    ['Authentication', svc.invokerIamDisabled ? 'IAM check disabled' : 'Require IAM (see Permissions)'],
    ['Last deployed', `${when(svc.updateTime)} by ${svc.lastModifier ?? svc.creator ?? ''}`],
  ];
  return h('dl', { class: 'settings' }, ...items.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}
