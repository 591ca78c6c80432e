import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { TarmacError } from './errors.ts';

export type Params = Record<string, string>;
export type Handler = (req: IncomingMessage, res: ServerResponse, params: Params) => Promise<void> | void;

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

/**
 * A small method + pattern router. Patterns are RegExps with named groups, or strings where `:name`
 * matches one path segment and `*name` matches the rest (slashes included).
 */
export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string | RegExp, handler: Handler): this {
    this.routes.push({ method: method.toUpperCase(), pattern: compile(pattern), handler });
    return this;
  }

  /** Finds the handler for a request; `methodNotAllowed` when only the method differs. */
  match(
    method: string,
    path: string,
  ): { handler: Handler; params: Params } | { methodNotAllowed: true } | undefined {
    let pathMatched = false;
    for (const r of this.routes) {
      const m = r.pattern.exec(path);
      if (!m) continue;
      if (r.method !== method && !(r.method === 'GET' && method === 'HEAD')) {
        pathMatched = true;
        continue;
      }
      const params: Params = {};
      for (const [k, v] of Object.entries(m.groups ?? {})) if (v !== undefined) params[k] = safeDecode(v);
      return { handler: r.handler, params };
    }
    return pathMatched ? { methodNotAllowed: true } : undefined;
  }
}

function safeDecode(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

function compile(pattern: string | RegExp): RegExp {
  if (pattern instanceof RegExp) return pattern;
  const src = pattern
    .split('/')
    .map((seg) => {
      if (seg.startsWith(':')) return `(?<${seg.slice(1)}>[^/]+)`;
      if (seg.startsWith('*')) return `(?<${seg.slice(1)}>.+)`;
      return seg.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${src}$`);
}

/** Reads a whole request body up to `limit` bytes; larger bodies fail with RESOURCE_EXHAUSTED. */
export async function readBody(req: IncomingMessage, limit = 10 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw new TarmacError('RESOURCE_EXHAUSTED', `request body larger than ${limit} bytes`, {
        reason: 'BODY_TOO_LARGE',
      });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Parses a JSON request body; an empty body is `{}`. */
export async function readJson(req: IncomingMessage, limit?: number): Promise<unknown> {
  const body = await readBody(req, limit);
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new TarmacError('INVALID_ARGUMENT', 'request body is not valid JSON', { reason: 'BAD_JSON' });
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType = 'text/plain',
): void {
  res.writeHead(status, {
    'content-type': `${contentType}; charset=utf-8`,
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** A listener that closes like Node's HTTP server (the ingress's own listener does too). */
export type ClosableServer = NetServer & {
  closeIdleConnections(): void;
  closeAllConnections(): void;
};

/** Listens and resolves with the bound address (port 0 picks a free port). */
export function listen(server: NetServer, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Stops accepting, lets in-flight requests finish for up to `graceMs`, then closes what is left. */
export async function closeServer(server: ClosableServer, graceMs = 10_000): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  timer.unref();
  await closed;
  clearTimeout(timer);
}
