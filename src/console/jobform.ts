import type { SchedulerJob, ServiceAccount } from '../client/index.ts';
import { api, jobParent, message, type Defaults } from './api.ts';
import { field, h, input, notice, select, short } from './dom.ts';

const METHODS = ['POST', 'GET', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

type HttpTarget = NonNullable<SchedulerJob['httpTarget']>;

/** The two auth header choices differ only in the target key and their one extra field. */
interface TokenKind {
  value: 'oidc' | 'oauth';
  choice: string;
  key: 'oidcToken' | 'oauthToken';
  param: 'audience' | 'scope';
  label: string;
  hint?: string;
  fallback: string;
}

const TOKEN_KINDS: TokenKind[] = [
  {
    value: 'oidc',
    choice: 'Add OIDC token',
    key: 'oidcToken',
    param: 'audience',
    label: 'Audience',
    hint: 'Defaults to the URL',
    fallback: '',
  },
  {
    value: 'oauth',
    choice: 'Add OAuth token',
    key: 'oauthToken',
    param: 'scope',
    label: 'Scope',
    fallback: 'https://www.googleapis.com/auth/cloud-platform',
  },
];

/** The retry settings as form rows: the field, its label, Cloud Scheduler's default, numeric or a duration. */
const RETRY_ROWS: {
  key: 'retryCount' | 'maxRetryDuration' | 'minBackoffDuration' | 'maxBackoffDuration' | 'maxDoublings';
  label: string;
  fallback: string | number;
  attrs?: Record<string, string | number>;
}[] = [
  { key: 'retryCount', label: 'Max retry attempts', fallback: 0, attrs: { type: 'number', min: 0, max: 5 } },
  { key: 'maxRetryDuration', label: 'Max retry duration', fallback: '0s' },
  { key: 'minBackoffDuration', label: 'Min backoff duration', fallback: '5s' },
  { key: 'maxBackoffDuration', label: 'Max backoff duration', fallback: '3600s' },
  { key: 'maxDoublings', label: 'Max doublings', fallback: 5, attrs: { type: 'number', min: 0 } },
];

/** One auth header choice's extra field, prefilled from the job's target. */
function tokenGroup(
  kind: TokenKind,
  t: HttpTarget | undefined,
): { kind: TokenKind; input: HTMLInputElement; el: HTMLElement } {
  const current = (t?.[kind.key] as Record<string, string | undefined> | undefined)?.[kind.param];
  const el = input(kind.param, current ?? kind.fallback);
  return { kind, input: el, el: h('div', { class: kind.value }, field(kind.label, el, kind.hint)) };
}

/** The create/edit form: HTTP target, method, headers, body, auth header, service account, audience, retries. */
export function jobForm(
  ctx: Defaults,
  job: SchedulerJob | undefined,
  accounts: ServiceAccount[],
): HTMLElement {
  const t = job?.httpTarget;
  const r = (job?.retryConfig ?? {}) as Record<string, string | number | undefined>;
  const authNow = t?.oidcToken ? 'oidc' : t?.oauthToken ? 'oauth' : 'none';
  const f = {
    id: input('jobId', short(job?.name), {
      required: true,
      pattern: '[A-Za-z0-9_-]{1,500}',
      readonly: !!job,
    }),
    description: input('description', job?.description ?? ''),
    schedule: input('schedule', job?.schedule ?? '*/5 * * * *', { required: true }),
    tz: input('timeZone', job?.timeZone ?? 'Etc/UTC'),
    target: select('targetType', [['http', 'HTTP']], 'http'),
    uri: input('uri', t?.uri ?? '', { type: 'url', required: true }),
    method: select(
      'httpMethod',
      METHODS.map((m): [string, string] => [m, m]),
      t?.httpMethod ?? 'POST',
    ),
    headers: h(
      'textarea',
      { name: 'headers', rows: '3' },
      Object.entries(t?.headers ?? {})
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n'),
    ) as HTMLTextAreaElement,
    body: h('textarea', { name: 'body', rows: '3' }, t?.body ? atob(t.body) : '') as HTMLTextAreaElement,
    auth: select(
      'auth',
      [['none', 'None'], ...TOKEN_KINDS.map((k): [string, string] => [k.value, k.choice])],
      authNow,
    ),
    sa: select(
      'serviceAccountEmail',
      accounts.map((a): [string, string] => [a.email ?? '', a.email ?? '']),
      t?.oidcToken?.serviceAccountEmail ?? t?.oauthToken?.serviceAccountEmail ?? '',
    ),
    deadline: input('attemptDeadline', job?.attemptDeadline ?? '180s'),
  };
  const retries = RETRY_ROWS.map((row) => ({
    row,
    input: input(row.key, String(r[row.key] ?? row.fallback), row.attrs),
  }));
  const tokens = TOKEN_KINDS.map((k) => tokenGroup(k, t));
  // The audience defaults to the URL, as in Cloud Scheduler; shown as the placeholder until typed.
  const audience = tokens[0]!.input;
  const syncAudience = (): void => {
    audience.placeholder = f.uri.value || 'defaults to the URL';
  };
  f.uri.addEventListener('input', syncAudience);
  syncAudience();
  const authFields = h('div', {}, field('Service account', f.sa), ...tokens.map((g) => g.el));
  const showAuth = (): void => {
    authFields.hidden = f.auth.value === 'none';
    for (const g of tokens) g.el.hidden = f.auth.value !== g.kind.value;
  };
  f.auth.addEventListener('change', showAuth);
  showAuth();
  const out = h('div', { 'aria-live': 'polite' });
  const read = (): SchedulerJob => {
    const headers: Record<string, string> = {};
    for (const l of f.headers.value.split('\n')) {
      const i = l.indexOf(':');
      if (i > 0) headers[l.slice(0, i).trim()] = l.slice(i + 1).trim();
    }
    const httpTarget: HttpTarget = {
      uri: f.uri.value.trim(),
      httpMethod: f.method.value,
      headers,
    };
    if (f.body.value) httpTarget.body = btoa(unescape(encodeURIComponent(f.body.value)));
    const chosen = tokens.find((g) => g.kind.value === f.auth.value);
    if (chosen) {
      const value = chosen.input.value.trim() || (chosen.kind.value === 'oidc' ? httpTarget.uri : '');
      Object.assign(httpTarget, {
        [chosen.kind.key]: { serviceAccountEmail: f.sa.value, [chosen.kind.param]: value },
      });
    }
    return {
      name: `${jobParent(ctx)}/jobs/${f.id.value.trim()}`,
      description: f.description.value,
      schedule: f.schedule.value.trim(),
      timeZone: f.tz.value.trim(),
      httpTarget,
      attemptDeadline: f.deadline.value.trim(),
      retryConfig: Object.fromEntries(
        retries.map(({ row, input: el }) => [
          row.key,
          typeof row.fallback === 'number' ? Number(el.value) : el.value.trim(),
        ]),
      ),
    };
  };
  const submit = async (ev: Event): Promise<void> => {
    ev.preventDefault();
    try {
      const j = read();
      if (job) await api.scheduler.update({ ...j, name: job.name! });
      else await api.scheduler.create(jobParent(ctx), j);
      location.hash = `#/jobs/${encodeURIComponent(f.id.value.trim())}`;
    } catch (e) {
      out.replaceChildren(notice(message(e), 'alert'));
    }
  };
  return h(
    'form',
    { 'aria-label': job ? 'Edit job' : 'Create job', onsubmit: (ev: Event) => void submit(ev) },
    field('Name', f.id),
    field('Description', f.description),
    field('Frequency (cron)', f.schedule),
    field('Time zone', f.tz),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Target'),
      field('Target type', f.target),
      field('URL', f.uri),
      field('HTTP method', f.method),
      field('HTTP headers (Name: value, one per line)', f.headers),
      field('Body', f.body),
      field('Auth header', f.auth),
      authFields,
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Retry settings'),
      ...retries.map(({ row, input: el }) => field(row.label, el)),
      field('Attempt deadline', f.deadline),
    ),
    h('button', { type: 'submit' }, job ? 'Save' : 'Create'),
    out,
  );
}
