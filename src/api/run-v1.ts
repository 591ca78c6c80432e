import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../model/index.ts';
import { fromKnative, toKnative, type Location, type ServicesControlPlane } from '../services/index.ts';
import { TarmacError, readJson, sendJson, type Params, type Router } from '../shared/index.ts';
import { callerOf } from './run-v2.ts';
import type { RouteModule } from './server.ts';

const NS = '^/apis/serving\\.knative\\.dev/v1/namespaces/(?<project>[^/:]+)/services';
const PL = '^/v1/projects/(?<project>[^/:]+)/locations/(?<location>[^/:]+)/services';
type Obj = Record<string, unknown>;

/**
 * The v1 Knative-style surface for services (what `describe --format export` and `replace FILE.yaml`
 * use). The region comes from the path (projects/P/locations/L form), the `location` query parameter,
 * the body's cloud.googleapis.com/location label, or the default region, in that order.
 */
export function runV1Routes(plane: ServicesControlPlane, defaultRegion: string): RouteModule {
  const { services } = plane;
  const locOf = (p: Params, req: IncomingMessage, body?: { region?: string }): Location => {
    const q = new URL(req.url ?? '/', 'http://api').searchParams;
    return { project: p.project!, region: p.location ?? q.get('location') ?? body?.region ?? defaultRegion };
  };
  const render = async (who: Principal, loc: Location, name: string): Promise<Obj> => {
    const s = await services.get(who, loc, name);
    return toKnative(s, plane.project(loc.project)?.projectNumber ?? loc.project, loc.region);
  };
  const dryRun = (req: IncomingMessage): boolean =>
    new URL(req.url ?? '/', 'http://api').searchParams.get('dryRun') === 'all';

  const list = async (req: IncomingMessage, res: ServerResponse, p: Params): Promise<void> => {
    const who = await callerOf(plane, req);
    const loc = locOf(p, req);
    const q = new URL(req.url ?? '/', 'http://api').searchParams;
    const page = await services.list(who, loc, q.get('limit'), q.get('continue'));
    const number = plane.project(loc.project)?.projectNumber ?? loc.project;
    sendJson(res, 200, {
      apiVersion: 'serving.knative.dev/v1',
      kind: 'ServiceList',
      metadata: page.nextPageToken ? { continue: page.nextPageToken } : {},
      items: page.services.map((s) => toKnative(s, number, loc.region)),
    });
  };

  /** POST (create) and PUT (replace; creates when missing). */
  const write =
    (mode: 'create' | 'replace') =>
    async (req: IncomingMessage, res: ServerResponse, p: Params): Promise<void> => {
      const who = await callerOf(plane, req);
      const input = fromKnative(await readJson(req));
      const loc = locOf(p, req, input);
      const name = p.name ?? input.name;
      if (p.name && input.name && input.name !== p.name) {
        throw new TarmacError(
          'INVALID_ARGUMENT',
          `metadata.name ${input.name} does not match the path (${p.name})`,
          {
            reason: 'NAME_MISMATCH',
            fieldViolations: [
              { field: 'metadata.name', description: 'must match the service name in the path' },
            ],
          },
        );
      }
      const validateOnly = dryRun(req);
      const exists = mode === 'replace' && (await services.exists(who, loc, name));
      const etag = input.resourceVersion ? `"${input.resourceVersion}"` : undefined;
      const op = exists
        ? await services.update(
            who,
            loc,
            name,
            { ...input.body, ...(etag ? { etag } : {}) },
            { validateOnly },
          )
        : await services.create(who, loc, name, input.body, validateOnly);
      const number = plane.project(loc.project)?.projectNumber ?? loc.project;
      const body = validateOnly
        ? toKnative(op.response as never, number, loc.region)
        : await render(who, loc, name);
      sendJson(res, exists || validateOnly ? 200 : 201, body);
    };

  const get = async (req: IncomingMessage, res: ServerResponse, p: Params): Promise<void> => {
    const who = await callerOf(plane, req);
    sendJson(res, 200, await render(who, locOf(p, req), p.name!));
  };

  const del = async (req: IncomingMessage, res: ServerResponse, p: Params): Promise<void> => {
    const who = await callerOf(plane, req);
    const op = await services.delete(who, locOf(p, req), p.name!, { validateOnly: dryRun(req) });
    const uid = (op.metadata as { uid?: string } | undefined)?.uid ?? '';
    sendJson(res, 200, {
      apiVersion: 'v1',
      kind: 'Status',
      status: 'Success',
      details: { name: p.name, group: 'serving.knative.dev', kind: 'services', uid },
    });
  };

  return (router: Router) => {
    for (const base of [NS, PL]) {
      router.add('GET', new RegExp(`${base}$`), list);
      router.add('POST', new RegExp(`${base}$`), write('create'));
      router.add('GET', new RegExp(`${base}/(?<name>[^/:]+)$`), get);
      router.add('PUT', new RegExp(`${base}/(?<name>[^/:]+)$`), write('replace'));
      router.add('DELETE', new RegExp(`${base}/(?<name>[^/:]+)$`), del);
    }
  };
}
