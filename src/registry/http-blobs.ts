import type { IncomingMessage } from 'node:http';
import { regError, withHeaders, RegistryError } from './errors.ts';
import { COMMON_HEADERS, sendEmpty, type Ctx, type Route } from './http-common.ts';
import { parseDigest, tryParseDigest } from './names.ts';
import type { ByteRange } from './storage/types.ts';
import type { ChunkRange } from './uploads.ts';

/** Blob pulls, deletes and the upload session routes (POST, PATCH, PUT, GET status, DELETE). */
export function blobRoutes(): Route[] {
  const uploads = /^\/v2\/(?<name>.+)\/blobs\/uploads\/?$/;
  const upload = /^\/v2\/(?<name>.+)\/blobs\/uploads\/(?<param>[^/]+)$/;
  const blob = /^\/v2\/(?<name>.+)\/blobs\/(?<param>[^/]+)$/;
  return [
    { method: 'POST', pattern: uploads, handler: postUpload },
    { method: 'PATCH', pattern: upload, handler: patchUpload },
    { method: 'PUT', pattern: upload, handler: putUpload },
    { method: 'GET', pattern: upload, handler: uploadStatus },
    { method: 'DELETE', pattern: upload, handler: cancelUpload },
    { method: 'GET', pattern: blob, handler: getBlob },
    { method: 'DELETE', pattern: blob, handler: deleteBlob },
  ];
}

const uploadLocation = (name: string, id: string): string => `/v2/${name}/blobs/uploads/${id}`;
const blobLocation = (name: string, digest: string): string => `/v2/${name}/blobs/${digest}`;

function uploadHeaders(name: string, id: string, size: number): Record<string, string> {
  return {
    location: uploadLocation(name, id),
    range: `0-${Math.max(0, size - 1)}`,
    'docker-upload-uuid': id,
    'blob-upload-session-id': id,
  };
}

/** The request body as chunks, without destroying the socket when a consumer stops early. */
const bodyOf = (req: IncomingMessage): AsyncIterable<Buffer> =>
  req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;

function hasBody(req: IncomingMessage): boolean {
  const cl = req.headers['content-length'];
  return (cl !== undefined && cl !== '0') || req.headers['transfer-encoding'] !== undefined;
}

async function getBlob(ctx: Ctx): Promise<void> {
  await ctx.require(['pull']);
  const digest = parseDigest(ctx.param).digest;
  const size = ctx.registry.statBlob(ctx.name, digest);
  const range = parseRange(ctx.req.headers.range, size);
  const headers: Record<string, string | number> = {
    ...COMMON_HEADERS,
    'content-type': 'application/octet-stream',
    'docker-content-digest': digest,
    etag: `"${digest}"`,
    'accept-ranges': 'bytes',
    'cache-control': 'max-age=31536000',
    'content-length': range ? range.end - range.start + 1 : size,
  };
  if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${size}`;
  const status = range ? 206 : 200;
  if (ctx.req.method === 'HEAD') {
    ctx.res.writeHead(status, headers);
    ctx.res.end();
    return;
  }
  const blob = await ctx.registry.store.read(digest, range);
  ctx.res.writeHead(status, headers);
  // A client that goes away mid-download is not an error of ours.
  await blob.sendTo(ctx.res).catch(() => ctx.res.destroy());
}

/** Parses a single `bytes=` range; undefined for none (or one we ignore); 416 when unsatisfiable. */
function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) {
    throw withHeaders(regError('BLOB_RANGE_INVALID', `range ${header} not satisfiable`), {
      'content-range': `bytes */${size}`,
    });
  }
  return { start, end };
}

async function deleteBlob(ctx: Ctx): Promise<void> {
  await ctx.require(['delete']);
  ctx.registry.deleteBlob(ctx.name, ctx.param);
  sendEmpty(ctx.res, 202);
}

async function postUpload(ctx: Ctx): Promise<void> {
  await ctx.require(['push']);
  const mount = tryParseDigest(ctx.query.get('mount') ?? '');
  if (mount && (await tryMount(ctx, mount.digest, ctx.query.get('from')))) {
    return sendEmpty(ctx.res, 201, {
      location: blobLocation(ctx.name, mount.digest),
      'docker-content-digest': mount.digest,
    });
  }
  const digestParam = ctx.query.get('digest');
  if (digestParam !== null) return monolithic(ctx, digestParam);
  const id = await ctx.registry.uploads.start(ctx.name);
  if (!ctx.req.complete) ctx.req.resume();
  sendEmpty(ctx.res, 202, uploadHeaders(ctx.name, id, 0));
}

/** Cross-repository mount: from `from`, or (automatic) from any repository holding it that the caller may read. */
async function tryMount(ctx: Ctx, digest: string, from: string | null): Promise<boolean> {
  const reg = ctx.registry;
  if (reg.meta.blobInRepository(ctx.name, digest, reg.clock.now()) !== undefined) return true;
  const candidates = from !== null ? [from] : reg.meta.repositoriesWithBlob(digest);
  for (const c of candidates) {
    if (c === ctx.name || !(await ctx.auth.allowed(ctx.caller, c, 'pull').catch(() => false))) continue;
    if (reg.mountBlob(ctx.name, digest, c)) return true;
  }
  return false;
}

/** A single POST carrying the whole blob. */
async function monolithic(ctx: Ctx, digestParam: string): Promise<void> {
  const digest = parseDigest(digestParam);
  const uploads = ctx.registry.uploads;
  const id = await uploads.start(ctx.name);
  try {
    await uploads.finish(ctx.name, id, digest, bodyOf(ctx.req));
  } catch (e) {
    await uploads.cancel(ctx.name, id).catch(() => undefined);
    throw e;
  }
  sendEmpty(ctx.res, 201, {
    location: blobLocation(ctx.name, digest.digest),
    'docker-content-digest': digest.digest,
  });
}

/** Content-Range of a chunk: `start-end` (also `bytes start-end/total`); 416 when malformed. */
function chunkRange(req: IncomingMessage): ChunkRange | undefined {
  const header = req.headers['content-range'];
  if (header === undefined) return undefined;
  const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(header.trim());
  if (!m || Number(m[2]) < Number(m[1]))
    throw regError('RANGE_INVALID', `invalid Content-Range: ${header.slice(0, 100)}`);
  const range = { start: Number(m[1]), end: Number(m[2]) };
  const cl = req.headers['content-length'];
  if (cl !== undefined && Number(cl) !== range.end - range.start + 1) {
    throw regError('RANGE_INVALID', `Content-Range ${header} does not match Content-Length ${cl}`);
  }
  return range;
}

/** On a 416, tells the client where the upload really is. */
async function withUploadState<T>(ctx: Ctx, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof RegistryError && e.reason === 'RANGE_INVALID') {
      const size = await ctx.registry.uploads.status(ctx.name, ctx.param).catch(() => undefined);
      if (size === undefined) throw regError('BLOB_UPLOAD_UNKNOWN', 'blob upload unknown to registry');
      throw withHeaders(e, uploadHeaders(ctx.name, ctx.param, size));
    }
    throw e;
  }
}

async function patchUpload(ctx: Ctx): Promise<void> {
  await ctx.require(['push']);
  const size = await withUploadState(ctx, () =>
    ctx.registry.uploads.append(ctx.name, ctx.param, bodyOf(ctx.req), chunkRange(ctx.req)),
  );
  sendEmpty(ctx.res, 202, uploadHeaders(ctx.name, ctx.param, size));
}

async function putUpload(ctx: Ctx): Promise<void> {
  await ctx.require(['push']);
  const digestParam = ctx.query.get('digest');
  if (digestParam === null) throw regError('DIGEST_INVALID', 'the digest query parameter is required');
  const digest = parseDigest(digestParam);
  const body = hasBody(ctx.req) ? bodyOf(ctx.req) : undefined;
  await withUploadState(ctx, () =>
    ctx.registry.uploads.finish(ctx.name, ctx.param, digest, body, body ? chunkRange(ctx.req) : undefined),
  );
  sendEmpty(ctx.res, 201, {
    location: blobLocation(ctx.name, digest.digest),
    'docker-content-digest': digest.digest,
  });
}

async function uploadStatus(ctx: Ctx): Promise<void> {
  await ctx.require(['push']);
  const size = await ctx.registry.uploads.status(ctx.name, ctx.param);
  sendEmpty(ctx.res, 204, uploadHeaders(ctx.name, ctx.param, size));
}

async function cancelUpload(ctx: Ctx): Promise<void> {
  await ctx.require(['push']);
  await ctx.registry.uploads.cancel(ctx.name, ctx.param);
  sendEmpty(ctx.res, 204);
}
