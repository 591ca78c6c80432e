import type { Container, RevisionTemplate, Service, ServiceAccount } from '../client/index.ts';
import { field, h, input, select } from './dom.ts';

export interface RevisionForm {
  el: HTMLElement;
  /** The template and service-level settings the user entered. */
  read(): { template: RevisionTemplate; ingress: string };
}

const INGRESS: [string, string][] = [
  ['INGRESS_TRAFFIC_ALL', 'All'],
  ['INGRESS_TRAFFIC_INTERNAL_ONLY', 'Internal'],
];

function envText(c: Container | undefined): string {
  return (c?.env ?? []).map((e) => `${e.name}=${e.value ?? ''}`).join('\n');
}

/** The revision settings as form fields, prefilled from the current service (or defaults). */
export function revisionForm(svc: Service | undefined, accounts: ServiceAccount[]): RevisionForm {
  const t = svc?.template ?? {};
  const c = t.containers?.[0];
  const lim = c?.resources?.limits ?? {};
  const f = {
    image: input('image', c?.image ?? '', { required: true }),
    command: input('command', (c?.command ?? []).join(' ')),
    args: h('textarea', { name: 'args', rows: '3' }, (c?.args ?? []).join('\n')) as HTMLTextAreaElement,
    port: input('port', String(c?.ports?.[0]?.containerPort ?? 8080), { type: 'number', min: 1, max: 65535 }),
    memory: input('memory', lim.memory ?? '512Mi'),
    cpu: input('cpu', lim.cpu ?? '1'),
    timeout: input('timeout', String(parseInt(t.timeout ?? '300', 10)), {
      type: 'number',
      min: 1,
      max: 3600,
    }),
    concurrency: input('concurrency', String(t.maxInstanceRequestConcurrency ?? 80), {
      type: 'number',
      min: 1,
      max: 1000,
    }),
    min: input('minInstances', String(t.scaling?.minInstanceCount ?? 0), { type: 'number', min: 0 }),
    max: input('maxInstances', String(t.scaling?.maxInstanceCount ?? 100), { type: 'number', min: 1 }),
    env: h('textarea', { name: 'env', rows: '3' }, envText(c)) as HTMLTextAreaElement,
    sa: select(
      'serviceAccount',
      [
        ['', 'Default compute service account'],
        ...accounts.map((a): [string, string] => [a.email ?? '', a.email ?? '']),
      ],
      t.serviceAccount ?? '',
    ),
    ingress: select('ingress', INGRESS, svc?.ingress ?? 'INGRESS_TRAFFIC_ALL'),
  };
  const el = h(
    'fieldset',
    {},
    h('legend', {}, 'Revision settings'),
    field('Container image', f.image, 'e.g. gcr.io/PROJECT/IMAGE or localhost/bbtest:latest'),
    field('Command (space separated)', f.command),
    field('Arguments (one per line)', f.args),
    field('Container port', f.port),
    field('Memory', f.memory),
    field('CPU', f.cpu),
    field('Request timeout (seconds)', f.timeout),
    field('Maximum concurrent requests per instance', f.concurrency),
    field('Minimum instances', f.min),
    field('Maximum instances', f.max),
    field('Environment variables (NAME=value, one per line)', f.env),
    field('Service account', f.sa),
    field('Ingress', f.ingress),
  );
  const read = (): { template: RevisionTemplate; ingress: string } => {
    const env = f.env.value
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => ({ name: l.split('=')[0]!, value: l.slice(l.indexOf('=') + 1) }));
    const container: Container = {
      image: f.image.value.trim(),
      ports: [{ containerPort: Number(f.port.value) }],
      resources: { limits: { memory: f.memory.value.trim(), cpu: f.cpu.value.trim() } },
      env,
    };
    const cmd = f.command.value.trim();
    if (cmd) container.command = cmd.split(/\s+/);
    const args = f.args.value.split('\n').filter((l) => l.trim() !== '');
    if (args.length) container.args = args;
    const template: RevisionTemplate = {
      containers: [container],
      timeout: `${Number(f.timeout.value)}s`,
      maxInstanceRequestConcurrency: Number(f.concurrency.value),
      scaling: { minInstanceCount: Number(f.min.value), maxInstanceCount: Number(f.max.value) },
    };
    if (f.sa.value) template.serviceAccount = f.sa.value;
    return { template, ingress: f.ingress.value };
  };
  return { el, read };
}
