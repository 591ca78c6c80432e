import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  Router,
  TarmacError,
  isTarmacError,
  sendJson,
  toRpcStatus,
  HTTP_STATUS,
  type Logger,
} from '../shared/index.ts';

/** A subsystem's REST routes; each module adds its own to the shared router. */
export type RouteModule = (router: Router) => void;

/** Writes an error as google.rpc Status JSON, the one place the control plane maps errors to HTTP. */
export function sendError(res: ServerResponse, err: unknown, log?: Logger): void {
  const e = isTarmacError(err) ? err : new TarmacError('INTERNAL', 'internal error', { cause: err });
  if (!isTarmacError(err)) log?.error({ err }, 'unhandled error in API handler');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = {};
  if (e.code === 'UNAUTHENTICATED') headers['www-authenticate'] = 'Bearer realm="tarmac"';
  sendJson(res, HTTP_STATUS[e.code], { error: toRpcStatus(e) }, headers);
}

/** The API listener: health, then each route module, with errors mapped in one place. */
export function createApiServer(
  modules: RouteModule[],
  log: Logger,
  before?: (req: IncomingMessage) => TarmacError | undefined,
): Server {
  const router = new Router();
  router.add('GET', '/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }));
  for (const m of modules) m(router);
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://api');
    const denied = before?.(req);
    if (denied) {
      sendError(res, denied);
      return;
    }
    const found = router.match(req.method ?? 'GET', url.pathname);
    if (!found) {
      sendError(res, new TarmacError('NOT_FOUND', `no such method: ${req.method} ${url.pathname}`));
      return;
    }
    if ('methodNotAllowed' in found) {
      sendError(res, new TarmacError('UNIMPLEMENTED', `method ${req.method} not allowed on ${url.pathname}`));
      return;
    }
    Promise.resolve()
      .then(() => found.handler(req, res, found.params))
      .catch((err: unknown) => sendError(res, err, log));
  });
}
