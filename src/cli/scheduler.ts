import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { SchedulerJob } from '../client/index.ts';
import {
  collect,
  defineCommand,
  defineGroup,
  intFlagValue,
  invalidFlag,
  parseKeyValues,
  parseList,
  type Context,
} from './core/index.ts';
import { parseDuration } from './run/flags.ts';

const LIST_FORMAT =
  'table(name.basename():label=ID, name.segment(3):label=LOCATION, schedule:label=SCHEDULE, timeZone:label=TZ, httpTarget.uri:label=TARGET, state:label=STATE, lastAttemptTime.date():label=LAST_ATTEMPT)';
const EXECUTIONS_FORMAT =
  'table(scheduleTime:label=SCHEDULE_TIME, attempt:label=ATTEMPT, startTime:label=START, httpStatusCode:label=HTTP, status.status:label=STATUS, latency:label=LATENCY, error:label=ERROR)';

type Opts = Record<string, unknown>;
const str = (o: Opts, k: string): string | undefined =>
  typeof o[k] === 'string' ? (o[k] as string) : undefined;

function parent(ctx: Context, opts: Opts): string {
  const location = str(opts, 'location') ?? ctx.props.get('scheduler/location') ?? ctx.region();
  return `projects/${ctx.project()}/locations/${location}`;
}

const jobName = (ctx: Context, opts: Opts, job: string): string =>
  job.startsWith('projects/') ? job : `${parent(ctx, opts)}/jobs/${job}`;

const seconds = (flag: string, v: string): string => `${parseDuration(flag, v)}s`;

/** The Job fields the create/update flags set, and the update mask paths they touch. */
function fromFlags(
  o: Opts,
  base: SchedulerJob['httpTarget'] | undefined,
): { job: SchedulerJob; mask: string[] } {
  const job: SchedulerJob = {};
  const mask: string[] = [];
  const set = (path: string, apply: () => void): void => {
    apply();
    mask.push(path);
  };
  const target = { ...(base ?? { uri: '' }) };
  let targetTouched = false;
  const touch = (path: string, apply: () => void): void => {
    targetTouched = true;
    set(`httpTarget.${path}`, apply);
  };
  if (str(o, 'schedule') !== undefined) set('schedule', () => (job.schedule = str(o, 'schedule')));
  if (str(o, 'timeZone') !== undefined) set('timeZone', () => (job.timeZone = str(o, 'timeZone')));
  if (str(o, 'description') !== undefined)
    set('description', () => (job.description = str(o, 'description')));
  if (str(o, 'attemptDeadline') !== undefined)
    set(
      'attemptDeadline',
      () => (job.attemptDeadline = seconds('--attempt-deadline', str(o, 'attemptDeadline')!)),
    );
  if (str(o, 'uri') !== undefined) touch('uri', () => (target.uri = str(o, 'uri')!));
  if (str(o, 'httpMethod') !== undefined)
    touch('httpMethod', () => (target.httpMethod = str(o, 'httpMethod')!.toUpperCase()));
  const headers = {
    ...(o.clearHeaders ? {} : (target.headers ?? {})),
    ...parseKeyValues('--headers', o.headers as string[]),
    ...parseKeyValues('--update-headers', o.updateHeaders as string[]),
  };
  for (const k of parseList(o.removeHeaders as string[])) delete headers[k];
  if (o.headers || o.updateHeaders || o.removeHeaders || o.clearHeaders)
    touch('headers', () => (target.headers = headers));
  if (str(o, 'messageBody') !== undefined && str(o, 'messageBodyFromFile') !== undefined)
    throw invalidFlag(
      '--message-body',
      'At most one of --message-body | --message-body-from-file may be specified.',
    );
  const body =
    str(o, 'messageBody') ??
    (str(o, 'messageBodyFromFile') ? readFileSync(str(o, 'messageBodyFromFile')!, 'utf8') : undefined);
  if (body !== undefined) touch('body', () => (target.body = Buffer.from(body).toString('base64')));
  if (o.clearMessageBody) touch('body', () => delete target.body);
  const oidc = str(o, 'oidcServiceAccountEmail');
  const oauth = str(o, 'oauthServiceAccountEmail');
  if (oidc && oauth)
    throw invalidFlag(
      '--oidc-service-account-email',
      'At most one of --oidc-service-account-email | --oauth-service-account-email may be specified.',
    );
  if (oidc || o.clearAuthToken) {
    delete target.oauthToken;
    delete target.oidcToken;
    touch('oauthToken', () => undefined);
    touch('oidcToken', () => undefined);
  }
  if (oidc)
    target.oidcToken = {
      serviceAccountEmail: oidc,
      ...(str(o, 'oidcTokenAudience') ? { audience: str(o, 'oidcTokenAudience') } : {}),
    };
  if (oauth) {
    delete target.oidcToken;
    touch('oidcToken', () => undefined);
    touch(
      'oauthToken',
      () =>
        (target.oauthToken = {
          serviceAccountEmail: oauth,
          ...(str(o, 'oauthTokenScope') ? { scope: str(o, 'oauthTokenScope') } : {}),
        }),
    );
  }
  if (targetTouched) job.httpTarget = target;
  const retry: Record<string, unknown> = {};
  const r = (flag: string, key: string, field: string, conv: (f: string, v: string) => unknown): void => {
    const v = str(o, key);
    if (v !== undefined) set(`retryConfig.${field}`, () => (retry[field] = conv(flag, v)));
  };
  r('--max-retry-attempts', 'maxRetryAttempts', 'retryCount', (f, v) => intFlagValue(f, v, 0, 5));
  r('--max-doublings', 'maxDoublings', 'maxDoublings', (f, v) => intFlagValue(f, v, 0, 16));
  r('--min-backoff', 'minBackoff', 'minBackoffDuration', seconds);
  r('--max-backoff', 'maxBackoff', 'maxBackoffDuration', seconds);
  r('--max-retry-duration', 'maxRetryDuration', 'maxRetryDuration', seconds);
  if (Object.keys(retry).length > 0) job.retryConfig = retry;
  return { job, mask: [...new Set(mask)] };
}

function httpFlags(cmd: Command, create: boolean): Command {
  cmd
    .option('--location <LOCATION>', 'location of the job (default: scheduler/location, then the region)')
    .option('--schedule <SCHEDULE>', 'unix-cron schedule, e.g. "*/5 * * * *"')
    .option('--uri <URI>', 'the URL the job calls')
    .option('--http-method <METHOD>', 'POST (default), GET, HEAD, PUT, DELETE, PATCH or OPTIONS')
    .option('--message-body <BODY>', 'request body (POST, PUT, PATCH)')
    .option('--message-body-from-file <PATH>', 'request body read from a file')
    .option('--oidc-service-account-email <EMAIL>', 'send an OIDC ID token for this service account')
    .option('--oidc-token-audience <AUDIENCE>', 'audience of the ID token (default: the uri)')
    .option('--oauth-service-account-email <EMAIL>', 'send an OAuth access token for this service account')
    .option('--oauth-token-scope <SCOPE>', 'scope of the access token (default cloud-platform)')
    .option('--time-zone <TZ>', 'tz database name the schedule is read in (default Etc/UTC)')
    .option('--attempt-deadline <DURATION>', 'how long an attempt may take (15s to 30m, default 3m)')
    .option('--max-retry-attempts <N>', 'retries of a failed run (0-5)')
    .option('--min-backoff <DURATION>', 'first retry delay (default 5s)')
    .option('--max-backoff <DURATION>', 'largest retry delay (default 1h)')
    .option('--max-doublings <N>', 'times the delay doubles before growing linearly (default 5)')
    .option('--max-retry-duration <DURATION>', 'retry until this long after the first attempt')
    .option('--description <TEXT>', 'description of the job');
  if (create) return cmd.option('--headers <K=V,...>', 'request headers', collect);
  return cmd
    .option('--update-headers <K=V,...>', 'add or change request headers', collect)
    .option('--remove-headers <K,...>', 'remove request headers', collect)
    .option('--clear-headers', 'remove every request header')
    .option('--clear-message-body', 'remove the request body')
    .option('--clear-auth-token', 'send no token');
}

async function create(ctx: Context, [job]: string[], o: Opts): Promise<void> {
  for (const f of ['schedule', 'uri'] as const)
    if (!str(o, f)) throw invalidFlag(`--${f}`, `Missing required argument [--${f}].`);
  const { job: body } = fromFlags(o, undefined);
  const name = jobName(ctx, o, job!);
  const created = await ctx.client().scheduler.create(parent(ctx, o), { ...body, name });
  ctx.print(created, { defaultFormat: 'yaml' });
}

async function update(ctx: Context, [job]: string[], o: Opts): Promise<void> {
  const name = jobName(ctx, o, job!);
  const current = await ctx.client().scheduler.get(name);
  const { job: body, mask } = fromFlags(o, current.httpTarget);
  if (mask.length === 0) throw invalidFlag('--schedule', 'Nothing to update: give at least one flag.');
  ctx.print(await ctx.client().scheduler.update({ ...body, name }, mask.join(',')), {
    defaultFormat: 'yaml',
  });
}

/** `tarmac scheduler jobs ...` (gcloud scheduler jobs, HTTP targets). */
export function register(group: Command): void {
  const jobs = defineGroup(group, 'jobs', 'Manage Cloud Scheduler jobs');
  const createGroup = defineGroup(jobs, 'create', 'Create a job');
  httpFlags(
    defineCommand(createGroup, {
      name: 'http <JOB>',
      summary: 'Create a job that calls an HTTP(S) URL',
      examples: [
        'tarmac scheduler jobs create http hello-every-minute --schedule="* * * * *" --uri=https://hello-123456789012.us-central1.run.localhost:8080/ --http-method=POST --oidc-service-account-email=invoker@my-project.iam.gserviceaccount.com',
      ],
      run: create,
    }),
    true,
  );
  const updateGroup = defineGroup(jobs, 'update', 'Update a job');
  httpFlags(
    defineCommand(updateGroup, {
      name: 'http <JOB>',
      summary: 'Update a job that calls an HTTP(S) URL',
      examples: [
        'tarmac scheduler jobs update http my-job --schedule="0 9 * * 1-5" --time-zone=Europe/Berlin',
      ],
      run: update,
    }),
    false,
  );
  const loc = (cmd: Command): Command => cmd.option('--location <LOCATION>', 'location of the job');
  loc(
    defineCommand(jobs, {
      name: 'list',
      summary: 'List jobs',
      examples: ['tarmac scheduler jobs list --location=us-central1'],
      run: async (ctx, _a, o) =>
        ctx.print(await ctx.client().scheduler.list(parent(ctx, o)), {
          list: true,
          defaultFormat: LIST_FORMAT,
        }),
    }),
  );
  loc(
    defineCommand(jobs, {
      name: 'describe <JOB>',
      summary: 'Show a job',
      run: async (ctx, [job], o) =>
        ctx.print(await ctx.client().scheduler.get(jobName(ctx, o, job!)), { defaultFormat: 'yaml' }),
    }),
  );
  for (const verb of ['pause', 'resume', 'run'] as const) {
    loc(
      defineCommand(jobs, {
        name: `${verb} <JOB>`,
        summary: verb === 'run' ? 'Run a job now' : `${verb[0]!.toUpperCase()}${verb.slice(1)} a job`,
        run: async (ctx, [job], o) => {
          const j = await ctx.client().scheduler[verb](jobName(ctx, o, job!));
          if (verb === 'run') ctx.status(`Job [${job}] was dispatched.`);
          else ctx.print(j, { defaultFormat: 'none' });
          if (verb !== 'run')
            ctx.status(`Job [${j.name}] has been ${verb === 'pause' ? 'paused' : 'resumed'}.`);
        },
      }),
    );
  }
  loc(
    defineCommand(jobs, {
      name: 'delete <JOB>',
      summary: 'Delete a job',
      run: async (ctx, [job], o) => {
        await ctx.confirmOrCancel(`You are about to delete [${job}].`);
        await ctx.client().scheduler.delete(jobName(ctx, o, job!));
        ctx.status(`Deleted job [${job}].`);
      },
    }),
  );
  loc(
    defineCommand(jobs, {
      name: 'executions <JOB>',
      summary: "Show a job's execution history (newest first)",
      examples: ['tarmac scheduler jobs executions my-job --format=json'],
      run: async (ctx, [job], o) =>
        ctx.print(await ctx.client().scheduler.executions(jobName(ctx, o, job!)), {
          list: true,
          defaultFormat: EXECUTIONS_FORMAT,
        }),
    }),
  );
}
