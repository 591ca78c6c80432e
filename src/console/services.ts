import { RunV2Client } from '../client/index.ts';
import { api, message } from './api.ts';
import { field, h, input, notice, short, table, when } from './dom.ts';
import { revisionForm } from './deploy.ts';
import { setPublic } from './permissions.ts';
import type { Page } from './api.ts';

export function status(s: { terminalCondition?: { state?: string }; reconciling?: boolean }): string {
  const st = s.terminalCondition?.state ?? '';
  if (st === 'CONDITION_SUCCEEDED') return 'Ready';
  if (st === 'CONDITION_FAILED') return 'Failed';
  return s.reconciling ? 'Deploying' : st.replace('CONDITION_', '').toLowerCase() || 'Unknown';
}

/** Services list: name, region, URL, last deployed, by whom, status; and a create form. */
export const servicesPage: Page = async (main, ctx) => {
  const parent = RunV2Client.parent(ctx.project, ctx.region);
  const [services, accounts] = await Promise.all([
    api.run.listServices(parent),
    api.iam.listServiceAccounts(ctx.project).catch(() => []),
  ]);
  const rows = services.map((s) => [
    h('a', { href: `#/services/${encodeURIComponent(short(s.name))}` }, short(s.name)),
    s.name?.split('/')[3] ?? '',
    s.uri ? h('a', { href: s.uri, target: '_blank', rel: 'noopener' }, s.uri) : '',
    when(s.updateTime),
    s.lastModifier ?? s.creator ?? '',
    h('span', { class: `st st-${status(s).toLowerCase()}` }, status(s)),
  ]);
  const name = input('serviceId', '', {
    required: true,
    pattern: '[a-z]([-a-z0-9]*[a-z0-9])?',
    maxlength: 49,
  });
  const pub = input('allowUnauthenticated', '', { type: 'checkbox' });
  const form = revisionForm(undefined, accounts);
  const out = h('div', { 'aria-live': 'polite' });
  const submit = async (ev: Event): Promise<void> => {
    ev.preventDefault();
    out.replaceChildren(notice('Deploying…'));
    try {
      const { template, ingress } = form.read();
      const op = await api.run.createService(parent, name.value, { template, ingress });
      const done = await api.run.wait(op);
      if (done.error) throw new Error(done.error.message);
      if (pub.checked) await setPublic(`${parent}/services/${name.value}`, true);
      location.hash = `#/services/${encodeURIComponent(name.value)}`;
    } catch (e) {
      out.replaceChildren(notice(message(e), 'alert'));
    }
  };
  main.append(
    h('h1', {}, 'Services'),
    rows.length
      ? table(`Services in ${ctx.project}`, ['Name', 'Region', 'URL', 'Last deployed', 'By', 'Status'], rows)
      : h('p', {}, 'No services yet.'),
    h(
      'details',
      { class: 'create' },
      h('summary', {}, 'Create service'),
      h(
        'form',
        { 'aria-label': 'Create service', onsubmit: (ev: Event) => void submit(ev) },
        field('Service name', name),
        form.el,
        h(
          'div',
          { class: 'field check' },
          pub,
          h('label', { for: (pub.id = 'create-public') }, 'Allow unauthenticated invocations'),
        ),
        h('button', { type: 'submit' }, 'Create'),
      ),
      out,
    ),
  );
};
