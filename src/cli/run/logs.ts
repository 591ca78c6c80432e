import type { Command } from 'commander';
import type { LogEntry } from '../../client/index.ts';
import { defineCommand, defineGroup, invalidFlag, type Context } from '../core/index.ts';
import { serviceTarget } from './common.ts';
import { SEVERITIES } from '../../model/index.ts';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** gcloud's --freshness: 30s, 10m, 2h, 1d, 1w. */
export function freshnessSeconds(v: string): number {
  const m = /^(\d+)([smhdw])$/.exec(v.trim());
  if (!m) throw invalidFlag('--freshness', `${v}: use a duration like 30s, 10m, 2h, 1d or 1w`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

/** The Logging filter for a service's entries (every revision, every instance) in a region. */
function serviceFilter(ctx: Context, service: string, opts: Record<string, unknown>): string {
  const t = serviceTarget(ctx, service);
  const parts = [
    'resource.type="cloud_run_revision"',
    `resource.labels.service_name="${service}"`,
    `resource.labels.location="${t.region}"`,
  ];
  if (typeof opts.severity === 'string') {
    const s = opts.severity.toUpperCase();
    if (!(SEVERITIES as readonly string[]).includes(s))
      throw invalidFlag('--severity', `${opts.severity}: use one of ${SEVERITIES.join(', ')}`);
    parts.push(`severity>=${s}`);
  }
  if (typeof opts.logFilter === 'string' && opts.logFilter.trim()) parts.push(`(${opts.logFilter})`);
  return parts.join(' AND ');
}

/** One entry as gcloud prints run logs: time, severity, the text (or request line). */
export function entryLine(e: LogEntry): string {
  const h = e.httpRequest;
  let text: string;
  if (h) text = `${h.requestMethod ?? ''} ${h.status ?? ''} ${h.latency ?? ''} ${h.requestUrl ?? ''}`.trim();
  else if (e.textPayload !== undefined) text = e.textPayload;
  else if (typeof e.jsonPayload?.message === 'string') text = e.jsonPayload.message;
  else text = JSON.stringify(e.jsonPayload ?? {});
  return `${e.timestamp ?? ''} ${(e.severity ?? 'DEFAULT').padEnd(7)} ${text}`;
}

async function read(ctx: Context, [service]: string[], opts: Record<string, unknown>): Promise<void> {
  let filter = serviceFilter(ctx, service!, opts);
  const fresh = freshnessSeconds(typeof opts.freshness === 'string' ? opts.freshness : '1d');
  filter += ` AND timestamp>="${new Date(Date.now() - fresh * 1000).toISOString()}"`;
  const limit = opts.limit === undefined ? 100 : Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw invalidFlag('--limit', `${String(opts.limit)}: use an integer from 1 to 1000`);
  const newest = await ctx.client().logging.list(ctx.project(), { filter, pageSize: limit });
  // The newest `limit` entries, printed oldest first as a terminal reads them.
  const entries = newest.reverse();
  if (ctx.flags.format) ctx.print(entries, { list: true });
  else for (const e of entries) ctx.io.stdout.write(`${entryLine(e)}\n`);
}

async function tail(ctx: Context, [service]: string[], opts: Record<string, unknown>): Promise<void> {
  const filter = serviceFilter(ctx, service!, opts);
  const ac = new AbortController();
  const stop = (): void => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const json = ctx.flags.format === 'json';
  await ctx
    .client()
    .logging.tail(
      ctx.project(),
      filter,
      (e) => ctx.io.stdout.write(json ? `${JSON.stringify(e)}\n` : `${entryLine(e)}\n`),
      ac.signal,
    );
  ctx.status(`Tailing logs for service [${service}]; press Ctrl-C to stop.`);
  await new Promise<void>((resolve) => ac.signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** `tarmac run services logs read|tail SERVICE` (gcloud beta run services logs). */
export function registerServiceLogs(services: Command): void {
  const group = defineGroup(services, 'logs', "Read and follow a service's logs");
  defineCommand(group, {
    name: 'read <SERVICE>',
    summary: "Print a service's recent log entries (instances' output, requests, system events)",
    examples: [
      'tarmac run services logs read hello',
      'tarmac run services logs read hello --limit 20 --freshness 2h --severity WARNING',
    ],
    run: read,
  })
    .option('--limit <N>', 'print at most N entries (the newest), default 100')
    .option('--freshness <DURATION>', 'only entries newer than this (30s, 10m, 2h, 1d), default 1d')
    .option('--severity <SEVERITY>', 'only entries at or above this severity')
    .option('--log-filter <FILTER>', 'a further Logging filter, ANDed with the rest');
  defineCommand(group, {
    name: 'tail <SERVICE>',
    summary: "Follow a service's logs live, including instances started later",
    examples: ['tarmac run services logs tail hello', 'tarmac run services logs tail hello --severity ERROR'],
    run: tail,
  })
    .option('--severity <SEVERITY>', 'only entries at or above this severity')
    .option('--log-filter <FILTER>', 'a further Logging filter, ANDed with the rest');
}
