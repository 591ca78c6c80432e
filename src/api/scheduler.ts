import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Iam } from '../iam/index.ts';
import type { Scheduler } from '../scheduler/index.ts';
import { TarmacError, readJson, sendJson, type Params, type Router } from '../shared/index.ts';
import type { RouteModule } from './server.ts';

const BASE = '/v1/projects/(?<project>[^/]+)/locations/(?<location>[^/]+)/jobs';
const JOB = `${BASE}/(?<job>[^/:]+)`;
const re = (s: string): RegExp => new RegExp(`^${s}$`);

const parentOf = (p: Params): string => `projects/${p.project}/locations/${p.location}`;
const nameOf = (p: Params): string => `${parentOf(p)}/jobs/${p.job}`;

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  const b = await readJson(req, 1024 * 1024);
  if (typeof b !== 'object' || b === null || Array.isArray(b)) {
    throw new TarmacError('INVALID_ARGUMENT', 'request body must be a JSON object', { reason: 'BAD_BODY' });
  }
  return b as Record<string, unknown>;
}

function query(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? '/', 'http://api').searchParams;
}

function pageSize(q: URLSearchParams): number | undefined {
  const v = q.get('pageSize');
  if (v === null || v === '') return undefined;
  if (!/^\d+$/.test(v))
    throw new TarmacError('INVALID_ARGUMENT', 'pageSize must be a non-negative integer', {
      reason: 'BAD_PAGE_SIZE',
    });
  return Number(v);
}

/**
 * Cloud Scheduler v1 `projects.locations.jobs` (create, get, list, patch with updateMask, delete,
 * pause, resume, run) plus the execution history at GET .../jobs/JOB/executions (a tarmac extension).
 * Permissions cloudscheduler.jobs.*; a job that uses a service account needs actAs on it.
 */
export function schedulerRoutes(scheduler: Scheduler, iam: Iam): RouteModule {
  return (router: Router) => {
    router.add('GET', re(BASE), async (req, res, p) => {
      await iam.require(req, 'cloudscheduler.jobs.list', parentOf(p));
      const q = query(req);
      sendJson(res, 200, scheduler.list(parentOf(p), pageSize(q), q.get('pageToken') ?? ''));
    });
    router.add('POST', re(BASE), async (req, res, p) => {
      const principal = await iam.require(req, 'cloudscheduler.jobs.create', parentOf(p));
      const job = await scheduler.create(parentOf(p), await body(req), async (sa) => {
        await iam.checkActAs(principal, sa);
      });
      sendJson(res, 200, job);
    });
    const verb = (name: 'pause' | 'resume' | 'run'): void => {
      router.add('POST', re(`${JOB}:${name}`), async (req, res: ServerResponse, p) => {
        await iam.require(req, `cloudscheduler.jobs.${name}`, nameOf(p));
        await body(req);
        sendJson(res, 200, scheduler[name](nameOf(p)));
      });
    };
    verb('pause');
    verb('resume');
    verb('run');
    router.add('GET', re(`${JOB}/executions`), async (req, res, p) => {
      await iam.require(req, 'cloudscheduler.jobs.get', nameOf(p));
      const q = query(req);
      sendJson(res, 200, scheduler.executions(nameOf(p), pageSize(q), q.get('pageToken') ?? ''));
    });
    router.add('GET', re(JOB), async (req, res, p) => {
      await iam.require(req, 'cloudscheduler.jobs.get', nameOf(p));
      sendJson(res, 200, scheduler.get(nameOf(p)));
    });
    router.add('PATCH', re(JOB), async (req, res, p) => {
      const principal = await iam.require(req, 'cloudscheduler.jobs.update', nameOf(p));
      const mask = query(req).get('updateMask') ?? undefined;
      const job = await scheduler.patch(nameOf(p), await body(req), mask, async (sa) => {
        await iam.checkActAs(principal, sa);
      });
      sendJson(res, 200, job);
    });
    router.add('DELETE', re(JOB), async (req, res, p) => {
      await iam.require(req, 'cloudscheduler.jobs.delete', nameOf(p));
      scheduler.delete(nameOf(p));
      sendJson(res, 200, {});
    });
  };
}
