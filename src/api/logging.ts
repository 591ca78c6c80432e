import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Iam } from '../iam/index.ts';
import type { Telemetry } from '../telemetry/index.ts';
import { invalidArgument, readJson, sendJson, type Router } from '../shared/index.ts';
import type { RouteModule } from './server.ts';

interface ListBody {
  resourceNames?: unknown;
  filter?: unknown;
  orderBy?: unknown;
  pageSize?: unknown;
  pageToken?: unknown;
}

/** Checks the caller may read logs of each named project; returns the canonical project IDs. */
async function authorizedProjects(iam: Iam, req: IncomingMessage, names: unknown): Promise<string[]> {
  if (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== 'string')) {
    throw invalidArgument('resourceNames must name at least one project, e.g. ["projects/PROJECT_ID"]', [
      { field: 'resourceNames', description: 'required: projects/PROJECT_ID' },
    ]);
  }
  const out: string[] = [];
  for (const n of names as string[]) {
    const m = /^projects\/([^/]+)$/.exec(n);
    if (!m)
      throw invalidArgument(`unsupported resource name ${n}`, [{ field: 'resourceNames', description: n }]);
    const project = iam.projects.get(m[1]!);
    await iam.require(req, 'logging.logEntries.list', `projects/${project.projectId}`);
    out.push(project.projectId);
  }
  return out;
}

/** Restricts a user filter to the projects the caller may read. */
function scoped(projects: string[], filter: unknown): string {
  const own = projects.map((p) => `resource.labels.project_id="${p}"`).join(' OR ');
  const user = typeof filter === 'string' && filter.trim() ? ` AND (${filter})` : '';
  return `(${own})${user}`;
}

async function list(iam: Iam, t: Telemetry, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = (await readJson(req)) as ListBody;
  const projects = await authorizedProjects(iam, req, body.resourceNames);
  const pageSize = body.pageSize === undefined ? undefined : Number(body.pageSize);
  if (pageSize !== undefined && (!Number.isInteger(pageSize) || pageSize < 0)) {
    throw invalidArgument('pageSize must be a non-negative integer', [
      { field: 'pageSize', description: '>= 0' },
    ]);
  }
  const orderBy = typeof body.orderBy === 'string' ? body.orderBy : 'timestamp desc';
  if (!/^timestamp( (asc|desc))?$/i.test(orderBy.trim())) {
    throw invalidArgument('orderBy must be "timestamp asc" or "timestamp desc"', [
      { field: 'orderBy', description: orderBy },
    ]);
  }
  const result = t.logs.list({
    filter: scoped(projects, body.filter),
    pageSize: pageSize || undefined,
    pageToken: typeof body.pageToken === 'string' && body.pageToken ? body.pageToken : undefined,
    orderBy,
  });
  sendJson(res, 200, result);
}

/**
 * Live entries as they arrive: newline-delimited JSON, or server-sent events when the client asks
 * for text/event-stream. Ends when the client goes away.
 */
async function tail(iam: Iam, t: Telemetry, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://api');
  const projects = await authorizedProjects(iam, req, url.searchParams.getAll('resourceNames'));
  const filter = scoped(projects, url.searchParams.get('filter'));
  const sse = (req.headers.accept ?? '').includes('text/event-stream');
  res.writeHead(200, {
    'content-type': sse ? 'text/event-stream' : 'application/x-ndjson',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  res.write(sse ? ': tailing\n\n' : '');
  const stop = t.logs.tail(filter, (e) => {
    res.write(sse ? `data: ${JSON.stringify(e)}\n\n` : `${JSON.stringify(e)}\n`);
  });
  const ping = setInterval(() => res.write(sse ? ': ping\n\n' : '\n'), 15_000);
  const end = (): void => {
    clearInterval(ping);
    stop();
  };
  req.on('close', end);
  res.on('close', end);
}

async function metrics(
  iam: Iam,
  t: Telemetry,
  defaultProject: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://api');
  const project = iam.projects.get(url.searchParams.get('project') ?? defaultProject);
  await iam.require(req, 'monitoring.timeSeries.list', `projects/${project.projectId}`);
  if (url.pathname.endsWith('.json') || (req.headers.accept ?? '').includes('application/json')) {
    sendJson(res, 200, { metrics: await t.metrics.json() });
    return;
  }
  const text = await t.metrics.text();
  res.writeHead(200, { 'content-type': t.metrics.contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Logging (entries:list, entries:tail) and metrics (/metrics, Prometheus text or JSON). */
export function loggingRoutes(iam: Iam, t: Telemetry, defaultProject: string): RouteModule {
  return (router: Router) => {
    router.add('POST', '/v2/entries:list', (req, res) => list(iam, t, req, res));
    router.add('GET', '/v2/entries:tail', (req, res) => tail(iam, t, req, res));
    router.add('GET', '/metrics', (req, res) => metrics(iam, t, defaultProject, req, res));
    router.add('GET', '/metrics.json', (req, res) => metrics(iam, t, defaultProject, req, res));
  };
}
