import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../model/index.ts';
import type { Location, ServicesControlPlane } from '../services/index.ts';
import { TarmacError, readJson, sendJson, type Params, type Router } from '../shared/index.ts';
import type { RouteModule } from './server.ts';

const LOC = '^/v2/projects/(?<project>[^/:]+)/locations/(?<location>[^/:]+)';
const SVC = `${LOC}/services/(?<service>[^/:]+)`;
const route = (suffix: string, base = LOC): RegExp => new RegExp(`${base}${suffix}$`);

/** Authenticates a control-plane call; anonymous callers get 401 as Google's APIs answer them. */
export async function callerOf(plane: ServicesControlPlane, req: IncomingMessage): Promise<Principal> {
  const header = req.headers.authorization;
  const p = await plane.authenticate(Array.isArray(header) ? header[0] : header);
  if (p.kind === 'anonymous') {
    throw new TarmacError(
      'UNAUTHENTICATED',
      'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      { reason: 'CREDENTIALS_MISSING' },
    );
  }
  return p;
}

const query = (req: IncomingMessage): URLSearchParams => new URL(req.url ?? '/', 'http://api').searchParams;
const flag = (q: URLSearchParams, name: string): boolean => q.get(name) === 'true';
const loc = (p: Params): Location => ({ project: p.project!, region: p.location! });

type Call = (who: Principal, p: Params, req: IncomingMessage) => Promise<unknown>;

/** The Cloud Run Admin API v2: services, revisions, operations and service IAM policies. */
export function runV2Routes(plane: ServicesControlPlane): RouteModule {
  const handle =
    (call: Call) =>
    async (req: IncomingMessage, res: ServerResponse, params: Params): Promise<void> => {
      const who = await callerOf(plane, req);
      sendJson(res, 200, await call(who, params, req));
    };
  const { services: s, queries: q } = plane;
  return (router: Router) => {
    router.add(
      'GET',
      route('/services'),
      handle((who, p, req) => {
        const q = query(req);
        return s.list(who, loc(p), q.get('pageSize'), q.get('pageToken'), q.get('showDeleted'));
      }),
    );
    router.add(
      'POST',
      route('/services'),
      handle(async (who, p, req) => {
        const qs = query(req);
        return s.create(
          who,
          loc(p),
          qs.get('serviceId') ?? '',
          await readJson(req),
          flag(qs, 'validateOnly'),
        );
      }),
    );
    router.add(
      'GET',
      route(':getIamPolicy', SVC),
      handle((who, p) => q.getIamPolicy(who, loc(p), p.service!)),
    );
    router.add(
      'POST',
      route(':setIamPolicy', SVC),
      handle(async (who, p, req) => q.setIamPolicy(who, loc(p), p.service!, await readJson(req))),
    );
    router.add(
      'POST',
      route(':testIamPermissions', SVC),
      handle(async (who, p, req) => q.testIamPermissions(who, loc(p), p.service!, await readJson(req))),
    );
    router.add(
      'GET',
      route('', SVC),
      handle((who, p) => s.get(who, loc(p), p.service!)),
    );
    router.add(
      'PATCH',
      route('', SVC),
      handle(async (who, p, req) => {
        const qs = query(req);
        return s.update(who, loc(p), p.service!, await readJson(req), {
          updateMask: qs.get('updateMask'),
          allowMissing: flag(qs, 'allowMissing'),
          validateOnly: flag(qs, 'validateOnly'),
        });
      }),
    );
    router.add(
      'DELETE',
      route('', SVC),
      handle((who, p, req) =>
        s.delete(who, loc(p), p.service!, {
          etag: query(req).get('etag'),
          validateOnly: flag(query(req), 'validateOnly'),
        }),
      ),
    );
    router.add(
      'GET',
      route('/revisions', SVC),
      handle((who, p, req) =>
        q.listRevisions(
          who,
          loc(p),
          p.service!,
          query(req).get('pageSize'),
          query(req).get('pageToken'),
          query(req).get('showDeleted'),
        ),
      ),
    );
    const REV = `${SVC}/revisions/(?<revision>[^/:]+)`;
    router.add(
      'GET',
      route('', REV),
      handle((who, p) => q.getRevision(who, loc(p), p.service!, p.revision!)),
    );
    router.add(
      'DELETE',
      route('', REV),
      handle((who, p, req) =>
        q.deleteRevision(who, loc(p), p.service!, p.revision!, {
          etag: query(req).get('etag'),
          validateOnly: flag(query(req), 'validateOnly'),
        }),
      ),
    );
    const OP = `${LOC}/operations/(?<op>[^/:]+)`;
    router.add(
      'GET',
      route('/operations'),
      handle((who, p, req) =>
        q.listOperations(who, loc(p), query(req).get('pageSize'), query(req).get('pageToken')),
      ),
    );
    router.add(
      'GET',
      route('', OP),
      handle((who, p) => q.getOperation(who, loc(p), p.op!)),
    );
    router.add(
      'DELETE',
      route('', OP),
      handle((who, p) => q.deleteOperation(who, loc(p), p.op!)),
    );
    router.add(
      'POST',
      route(':wait', OP),
      handle(async (who, p, req) => {
        const body = (await readJson(req)) as { timeout?: unknown } | null;
        return q.waitOperation(who, loc(p), p.op!, body?.timeout);
      }),
    );
  };
}
