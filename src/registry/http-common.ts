import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Action, Caller, RegistryAuth } from './auth.ts';
import { regError } from './errors.ts';
import type { Registry } from './service.ts';

/** Everything a registry route handler gets. */
export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  registry: Registry;
  auth: RegistryAuth;
  query: URLSearchParams;
  /** The repository name from the path, already validated. */
  name: string;
  /** The second path parameter (reference, digest or upload id), raw. */
  param: string;
  caller: Caller;
  /** Absolute URL of the token endpoint for challenges. */
  realm: string;
  /** Checks the caller may do `actions` on `repository` (default: this route's). */
  require(actions: Action[], repository?: string): Promise<void>;
}

export type RouteHandler = (ctx: Ctx) => Promise<void>;

export interface Route {
  method: string;
  pattern: RegExp;
  handler: RouteHandler;
}

export const COMMON_HEADERS = { 'docker-distribution-api-version': 'registry/2.0' };

/** Reads a body up to `limit` bytes; larger ones fail with `reason`. */
export async function readSmallBody(
  req: IncomingMessage,
  limit: number,
  reason: 'MANIFEST_TOO_LARGE' | 'SIZE_INVALID' = 'SIZE_INVALID',
): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) throw regError(reason, `body larger than ${limit} bytes`);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) throw regError(reason, `body larger than ${limit} bytes`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

export function sendJsonBody(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  contentType = 'application/json',
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...COMMON_HEADERS,
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Ends a response with no body. */
export function sendEmpty(
  res: ServerResponse,
  status: number,
  headers: Record<string, string | number> = {},
): void {
  res.writeHead(status, { ...COMMON_HEADERS, 'content-length': 0, ...headers });
  res.end();
}
