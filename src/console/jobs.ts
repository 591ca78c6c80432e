import type { SchedulerJob } from '../client/index.ts';
import { api, jobParent } from './api.ts';
import { h, notice, short, table, when } from './dom.ts';
import { jobForm } from './jobform.ts';
import type { Page } from './api.ts';

function lastResult(j: SchedulerJob): string {
  if (!j.lastAttemptTime) return 'never run';
  const s = j.status;
  return !s || !s.code ? 'Success' : `Failed (${s.status ?? s.code})`;
}

function target(j: SchedulerJob): string {
  const t = j.httpTarget;
  return t ? `${t.httpMethod ?? 'POST'} ${t.uri}` : '';
}

/** Jobs list: schedule, target, state, last run and result. */
export const jobsPage: Page = async (main, ctx) => {
  const jobs = await api.scheduler.list(jobParent(ctx));
  const rows = jobs.map((j) => [
    h('a', { href: `#/jobs/${encodeURIComponent(short(j.name))}` }, short(j.name)),
    `${j.schedule ?? ''} (${j.timeZone ?? 'UTC'})`,
    target(j),
    (j.state ?? '').toLowerCase(),
    when(j.lastAttemptTime),
    lastResult(j),
  ]);
  main.append(
    h('h1', {}, 'Scheduler jobs'),
    h('p', {}, h('a', { href: '#/jobs/new', class: 'button' }, 'Create job')),
    rows.length
      ? table(
          `Jobs in ${jobParent(ctx)}`,
          ['Name', 'Schedule', 'Target', 'State', 'Last run', 'Result'],
          rows,
        )
      : h('p', {}, 'No jobs yet.'),
  );
};

/** One job: settings, pause/resume/force run, execution history (refreshed every few seconds). */
export const jobPage: Page = async (main, ctx, [id]) => {
  const name = `${jobParent(ctx)}/jobs/${id}`;
  const out = h('div', { 'aria-live': 'polite' });
  const head = h('div', {});
  const history = h('div', {});
  const act = (fn: () => Promise<unknown>) => async (): Promise<void> => {
    try {
      await fn();
      await refresh();
      out.replaceChildren(notice('Done.'));
    } catch (e) {
      out.replaceChildren(notice(e instanceof Error ? e.message : String(e), 'alert'));
    }
  };
  const refresh = async (): Promise<void> => {
    const [j, runs] = await Promise.all([api.scheduler.get(name), api.scheduler.executions(name)]);
    const paused = j.state === 'PAUSED';
    const t = j.httpTarget;
    const auth = t?.oidcToken
      ? `OIDC token as ${t.oidcToken.serviceAccountEmail} (audience ${t.oidcToken.audience ?? t.uri})`
      : t?.oauthToken
        ? `OAuth token as ${t.oauthToken.serviceAccountEmail}`
        : 'none';
    head.replaceChildren(
      h(
        'dl',
        { class: 'settings' },
        ...(
          [
            ['Schedule', `${j.schedule} (${j.timeZone ?? 'UTC'})`],
            ['Target', target(j)],
            ['Auth header', auth],
            ['State', j.state ?? ''],
            ['Last run', `${when(j.lastAttemptTime)} ${lastResult(j)}`],
          ] as [string, string][]
        ).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
      ),
      h(
        'div',
        { class: 'actions', role: 'group', 'aria-label': 'Job actions' },
        h('button', { type: 'button', onclick: act(() => api.scheduler.run(name)) }, 'Force run'),
        paused
          ? h('button', { type: 'button', onclick: act(() => api.scheduler.resume(name)) }, 'Resume')
          : h('button', { type: 'button', onclick: act(() => api.scheduler.pause(name)) }, 'Pause'),
        h('a', { href: `#/jobs/${encodeURIComponent(id!)}/edit`, class: 'button' }, 'Edit'),
      ),
    );
    const rows = runs.map((r) => [
      when(r.startTime),
      r.manual ? 'manual' : 'scheduled',
      String(r.attempt),
      r.httpStatusCode ? String(r.httpStatusCode) : '',
      r.status.status === 'OK' ? 'Success' : `Failed: ${r.error ?? r.status.status}`,
      r.latency,
    ]);
    history.replaceChildren(
      rows.length
        ? table(
            'Execution history',
            ['Started', 'Kind', 'Attempt', 'HTTP status', 'Result', 'Latency'],
            rows,
            true,
          )
        : h('p', {}, 'No executions yet.'),
    );
  };
  main.append(h('h1', {}, `Job ${id}`), out, head, h('h2', {}, 'Execution history'), history);
  await refresh();
  const timer = setInterval(() => void refresh().catch(() => undefined), 3000);
  return () => clearInterval(timer);
};

/** Create (no id) or edit a job. */
export const jobFormPage: Page = async (main, ctx, [id]) => {
  const name = id ? `${jobParent(ctx)}/jobs/${id}` : undefined;
  const [job, accounts] = await Promise.all([
    name ? api.scheduler.get(name) : Promise.resolve(undefined),
    api.iam.listServiceAccounts(ctx.project).catch(() => []),
  ]);
  main.append(h('h1', {}, id ? `Edit job ${id}` : 'Create job'), jobForm(ctx, job, accounts));
};
