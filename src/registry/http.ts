import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from '../shared/index.ts';
import type { Action, RegistryAuth } from './auth.ts';
import { regError, toOciError, RegistryError } from './errors.ts';
import { blobRoutes } from './http-blobs.ts';
import { readSmallBody, sendJsonBody, type Ctx, type Route } from './http-common.ts';
import { manifestRoutes } from './http-manifests.ts';
import { isValidRepositoryName } from './names.ts';
import type { Registry } from './service.ts';

export interface RegistryHandlerOptions {
  registry: Registry;
  auth: RegistryAuth;
  logger: Logger;
  /** host:port used in challenges when the request's Host header is unusable. */
  defaultHost: () => string;
}

/**
 * The registry listener's request handler: the OCI distribution routes under /v2/, the token
 * endpoint at /v2/token, and OCI error envelopes for every failure.
 */
export function createRegistryHandler(o: RegistryHandlerOptions): RequestListener {
  const routes: Route[] = [...manifestRoutes(), ...blobRoutes()];
  return (req, res) => {
    handle(o, routes, req, res).catch((err: unknown) => sendRegistryError(res, req, err, o));
  };
}

async function handle(
  o: RegistryHandlerOptions,
  routes: Route[],
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  // The raw path, never normalized: "..", "%2e" or "//" must fail name validation, not be resolved.
  const path = q < 0 ? url : url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  const method = req.method ?? 'GET';
  if (path === '/healthz') return sendJsonBody(res, 200, { status: 'ok' });
  const host = /^[A-Za-z0-9.\-[\]:]{1,255}$/.test(req.headers.host ?? '')
    ? req.headers.host!
    : o.defaultHost();
  const realm = `http://${host}/v2/token`;
  if (path === '/v2/token') return tokenEndpoint(o, req, res, query);
  const caller = await o.auth.caller(req.headers.authorization);
  if (path === '/v2/' || path === '/v2') {
    if (caller.principal.kind === 'anonymous') throw regError('UNAUTHORIZED', 'authentication required');
    return sendJsonBody(res, 200, {});
  }
  let pathMatched = false;
  for (const r of routes) {
    const m = r.pattern.exec(path);
    if (!m) continue;
    if (r.method !== method && !(r.method === 'GET' && method === 'HEAD')) {
      pathMatched = true;
      continue;
    }
    const name = m.groups?.name ?? '';
    if (m.groups?.name !== undefined && !isValidRepositoryName(name)) {
      throw regError('NAME_INVALID', 'invalid repository name', { name: name.slice(0, 300) });
    }
    const ctx: Ctx = {
      req,
      res,
      registry: o.registry,
      auth: o.auth,
      query,
      name,
      param: m.groups?.param ?? '',
      caller,
      realm,
      require: (actions, repository = name) => o.auth.require(caller, repository, actions),
    };
    return r.handler(ctx);
  }
  if (pathMatched) throw regError('UNSUPPORTED', `method ${method} not allowed here`);
  throw regError('ROUTE_UNKNOWN', 'no such registry endpoint');
}

async function tokenEndpoint(
  o: RegistryHandlerOptions,
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
): Promise<void> {
  let scopes = query.getAll('scope');
  let header = req.headers.authorization;
  if (req.method === 'POST') {
    // The OAuth2 form variant (docker login with an identity token).
    const form = new URLSearchParams((await readSmallBody(req, 64 * 1024)).toString('utf8'));
    scopes = [...scopes, ...form.getAll('scope')];
    const secret = form.get('password') ?? form.get('refresh_token');
    if (secret) header = `Bearer ${secret}`;
  } else if (req.method !== 'GET') {
    throw regError('UNSUPPORTED', 'the token endpoint takes GET or POST');
  }
  const token = await o.auth.issueToken(header, scopes);
  sendJsonBody(res, 200, token, { 'cache-control': 'no-store' });
}

/** Writes an error in the OCI envelope; 401s carry the Bearer challenge. */
export function sendRegistryError(
  res: ServerResponse,
  req: IncomingMessage,
  err: unknown,
  o: RegistryHandlerOptions,
  extraHeaders: Record<string, string> = {},
): void {
  const oci = toOciError(err);
  if (!oci) o.logger.error({ err, method: req.method, url: req.url }, 'registry: internal error');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { status, body } = oci ?? {
    status: 500,
    body: { errors: [{ code: 'UNSUPPORTED' as const, message: 'internal error' }] },
  };
  const headers: Record<string, string> = {
    ...(err instanceof RegistryError ? err.headers : {}),
    ...extraHeaders,
  };
  if (status === 401) {
    const host = /^[A-Za-z0-9.\-[\]:]{1,255}$/.test(req.headers.host ?? '')
      ? req.headers.host!
      : o.defaultHost();
    const scope = scopeOf(err);
    headers['www-authenticate'] = o.auth.challenge(`http://${host}/v2/token`, scope);
  }
  if (!req.complete) req.resume();
  sendJsonBody(res, status, body, headers);
}

function scopeOf(err: unknown): { repository: string; actions: Action[] } | undefined {
  if (!(err instanceof RegistryError) || !Array.isArray(err.detail)) return undefined;
  const d = err.detail[0] as { Name?: string; Action?: Action } | undefined;
  if (!d?.Name || !d.Action) return undefined;
  return { repository: d.Name, actions: d.Action === 'pull' ? ['pull'] : ['pull', d.Action] };
}
