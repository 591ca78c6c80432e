import { regError } from './errors.ts';
import {
  COMMON_HEADERS,
  readSmallBody,
  sendEmpty,
  sendJsonBody,
  type Ctx,
  type Route,
} from './http-common.ts';
import { MAX_MANIFEST_BYTES, MEDIA } from './manifest.ts';
import { parseManifestRef } from './service.ts';

/** Manifests, tags list, referrers and the catalog. */
export function manifestRoutes(): Route[] {
  const manifest = /^\/v2\/(?<name>.+)\/manifests\/(?<param>[^/]+)$/;
  return [
    { method: 'GET', pattern: /^\/v2\/_catalog$/, handler: catalog },
    { method: 'GET', pattern: manifest, handler: getManifest },
    { method: 'PUT', pattern: manifest, handler: putManifest },
    { method: 'DELETE', pattern: manifest, handler: deleteManifest },
    { method: 'GET', pattern: /^\/v2\/(?<name>.+)\/tags\/list$/, handler: listTags },
    { method: 'GET', pattern: /^\/v2\/(?<name>.+)\/referrers\/(?<param>[^/]+)$/, handler: referrers },
  ];
}

/** Pages hold at most this many entries when the client does not say. */
const DEFAULT_PAGE = 1000;
const MAX_PAGE = 10_000;

async function getManifest(ctx: Ctx): Promise<void> {
  await ctx.require(['pull']);
  const ref = parseManifestRef(ctx.param);
  if (ctx.req.method === 'HEAD') {
    const rec = ctx.registry.resolveManifest(ctx.name, ref);
    return sendEmpty(ctx.res, 200, manifestHeaders(rec.digest, rec.mediaType, rec.size));
  }
  const { record, body } = await ctx.registry.getManifest(ctx.name, ref);
  ctx.res.writeHead(200, {
    ...COMMON_HEADERS,
    ...manifestHeaders(record.digest, record.mediaType, body.length),
  });
  ctx.res.end(body);
}

function manifestHeaders(digest: string, mediaType: string, size: number): Record<string, string | number> {
  return {
    'content-type': mediaType,
    'content-length': size,
    'docker-content-digest': digest,
    etag: `"${digest}"`,
  };
}

async function putManifest(ctx: Ctx): Promise<void> {
  await ctx.require(['push']);
  const ref = parseManifestRef(ctx.param);
  const body = await readSmallBody(ctx.req, MAX_MANIFEST_BYTES, 'MANIFEST_TOO_LARGE');
  const { digest, subject } = await ctx.registry.putManifest(
    ctx.name,
    ref,
    body,
    ctx.req.headers['content-type'],
  );
  const headers: Record<string, string> = {
    location: `/v2/${ctx.name}/manifests/${digest}`,
    'docker-content-digest': digest,
  };
  if (subject) headers['oci-subject'] = subject;
  sendEmpty(ctx.res, 201, headers);
}

async function deleteManifest(ctx: Ctx): Promise<void> {
  await ctx.require(['delete']);
  ctx.registry.deleteManifest(ctx.name, parseManifestRef(ctx.param));
  sendEmpty(ctx.res, 202);
}

/** The `n` query parameter: a page size (default DEFAULT_PAGE, at most MAX_PAGE). */
function pageSize(ctx: Ctx): number {
  const raw = ctx.query.get('n');
  if (raw === null || raw === '') return DEFAULT_PAGE;
  if (!/^\d+$/.test(raw)) throw regError('UNSUPPORTED', 'n must be a non-negative integer');
  return Math.min(Number(raw), MAX_PAGE);
}

function nextLink(path: string, n: number, last: string): string {
  return `<${path}?n=${n}&last=${encodeURIComponent(last)}>; rel="next"`;
}

async function listTags(ctx: Ctx): Promise<void> {
  await ctx.require(['pull']);
  const n = pageSize(ctx);
  const last = ctx.query.get('last') ?? undefined;
  const { tags, more } = ctx.registry.listTags(ctx.name, n, last);
  const headers: Record<string, string> = {};
  if (more && tags.length > 0)
    headers.link = nextLink(`/v2/${ctx.name}/tags/list`, n, tags[tags.length - 1]!);
  sendJsonBody(ctx.res, 200, { name: ctx.name, tags }, headers);
}

async function catalog(ctx: Ctx): Promise<void> {
  if (ctx.caller.principal.kind === 'anonymous') throw regError('UNAUTHORIZED', 'authentication required');
  const n = pageSize(ctx);
  const last = ctx.query.get('last') ?? undefined;
  const { repositories, more } =
    n === 0
      ? { repositories: [], more: false }
      : await ctx.registry.catalog(n, last, (r) => ctx.auth.canList(ctx.caller, r));
  const headers: Record<string, string> = {};
  if (more && repositories.length > 0) {
    headers.link = nextLink('/v2/_catalog', n, repositories[repositories.length - 1]!);
  }
  sendJsonBody(ctx.res, 200, { repositories }, headers);
}

async function referrers(ctx: Ctx): Promise<void> {
  await ctx.require(['pull']);
  const artifactType = ctx.query.get('artifactType') ?? undefined;
  const manifests = ctx.registry.referrers(ctx.name, ctx.param, artifactType);
  const headers: Record<string, string> = {};
  if (artifactType !== undefined) headers['oci-filters-applied'] = 'artifactType';
  sendJsonBody(
    ctx.res,
    200,
    { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests },
    headers,
    MEDIA.ociIndex,
  );
}
