import type { IncomingMessage } from 'node:http';
import { invalidArgument } from '../shared/index.ts';

/** Query parameters of a request. */
export function query(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? '/', 'http://api').searchParams;
}

/** Offset paging with an opaque token: `{items, nextPageToken}`. */
export function page<T>(
  items: T[],
  req: IncomingMessage,
  max = 100,
  dflt = 100,
): { items: T[]; nextPageToken?: string } {
  const q = query(req);
  const size = q.get('pageSize') ? Number(q.get('pageSize')) : dflt;
  if (!Number.isInteger(size) || size < 0) throw invalidArgument('pageSize must be a non-negative integer');
  const n = Math.min(size === 0 ? dflt : size, max);
  const token = q.get('pageToken');
  let start = 0;
  if (token) {
    start = Number(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) throw invalidArgument('invalid pageToken');
  }
  const slice = items.slice(start, start + n);
  const next = start + n < items.length ? Buffer.from(String(start + n)).toString('base64url') : undefined;
  return { items: slice, ...(next ? { nextPageToken: next } : {}) };
}

/** The body as a plain object (INVALID_ARGUMENT otherwise). */
export function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalidArgument('request body must be a JSON object');
  return body as Record<string, unknown>;
}

/** A list of strings from a body field. */
export function stringList(v: unknown, field: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw invalidArgument(`${field} must be a list of strings`, [
      { field, description: 'a list of strings' },
    ]);
  }
  return v as string[];
}
