import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BuildService, CreateBuildInput } from '../build/index.ts';
import {
  BUILD_OPERATION_METADATA_TYPE,
  isTerminalStatus,
  type Authorizer,
  type Build,
  type BuildOperation,
  type Principal,
} from '../model/index.ts';
import { TarmacError, readJson, sendJson, type Params, type Router } from '../shared/index.ts';
import type { RouteModule } from './server.ts';

export interface CloudBuildRoutesOptions {
  builds: BuildService;
  auth: Authorizer;
}

const P = '/v1/projects/:project';
const L = '/v1/projects/:project/locations/:location';

/**
 * Cloud Build v1 (projects.builds and projects.locations.builds: create, get, list, cancel), the
 * operation of a build, a followable log, and the GCS-style media upload gcloud stages sources with.
 */
export function cloudBuildRoutes(o: CloudBuildRoutesOptions): RouteModule {
  const { builds } = o;
  const caller = async (req: IncomingMessage, permission: string, project: string): Promise<Principal> => {
    const p = await o.auth.authenticate(req.headers.authorization);
    if (p.kind === 'anonymous') {
      throw new TarmacError('UNAUTHENTICATED', 'Request is missing required authentication credential.', {
        reason: 'CREDENTIALS_MISSING',
      });
    }
    await o.auth.authorize(p, permission, `projects/${project}`);
    return p;
  };
  const loc = (p: Params): string => p.location ?? 'global';

  const create = async (req: IncomingMessage, res: ServerResponse, p: Params): Promise<void> => {
    const who = await caller(req, 'cloudbuild.builds.create', p.project!);
    const body = (await readJson(req)) as CreateBuildInput;
    sendJson(res, 200, operationOf(builds.create(p.project!, loc(p), body, who.member)));
  };
  const list = async (req: IncomingMessage, res: ServerResponse, p: Params): Promise<void> => {
    await caller(req, 'cloudbuild.builds.list', p.project!);
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    const out = builds.list(p.project!, {
      location: loc(p),
      filter: q.get('filter') ?? undefined,
      pageSize: Number(q.get('pageSize') ?? 0) || undefined,
      pageToken: q.get('pageToken') ?? undefined,
    });
    sendJson(res, 200, out.nextPageToken ? out : { builds: out.builds });
  };
  const getOrCancel = async (req: IncomingMessage, res: ServerResponse, p: Params): Promise<void> => {
    const [id, verb] = p.build!.split(':');
    if (req.method === 'GET' && verb === undefined) {
      await caller(req, 'cloudbuild.builds.get', p.project!);
      return sendJson(res, 200, builds.get(p.project!, id!));
    }
    if (req.method === 'POST' && verb === 'cancel') {
      await caller(req, 'cloudbuild.builds.update', p.project!);
      await readJson(req);
      return sendJson(res, 200, await builds.cancel(p.project!, id!));
    }
    throw new TarmacError('NOT_FOUND', `no such method: ${req.method} ${p.build}`);
  };
  const log = async (req: IncomingMessage, res: ServerResponse, p: Params): Promise<void> => {
    await caller(req, 'cloudbuild.builds.get', p.project!);
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    const offset = Math.max(0, Number(q.get('offset') ?? 0) || 0);
    const follow = q.get('follow') === 'true' || q.get('follow') === '1';
    const stop = new AbortController();
    const chunks = builds.readLog(p.project!, p.build!, offset, follow, stop.signal);
    res.on('close', () => stop.abort());
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    for await (const c of chunks) res.write(c);
    res.end();
  };
  const operation = async (req: IncomingMessage, res: ServerResponse, p: Params): Promise<void> => {
    await caller(req, 'cloudbuild.builds.get', p.project!);
    const id = Buffer.from(p.op!, 'base64url').toString('utf8');
    sendJson(res, 200, operationOf(builds.get(p.project!, id)));
  };
  const upload = async (req: IncomingMessage, res: ServerResponse, p: Params): Promise<void> => {
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    const bucket = p.bucket!;
    const project = bucket.replace(/_cloudbuild$/, '');
    if (project === bucket) {
      throw new TarmacError('NOT_FOUND', `bucket ${bucket} not found; sources go to PROJECT_cloudbuild`, {
        reason: 'BUCKET_NOT_FOUND',
      });
    }
    await caller(req, 'cloudbuild.builds.create', project);
    if ((q.get('uploadType') ?? 'media') !== 'media') {
      throw new TarmacError('INVALID_ARGUMENT', 'only uploadType=media is supported', {
        reason: 'BAD_UPLOAD_TYPE',
      });
    }
    const name = q.get('name');
    if (!name)
      throw new TarmacError('INVALID_ARGUMENT', 'the name parameter is required', {
        reason: 'NAME_REQUIRED',
      });
    const declared = Number(req.headers['content-length'] ?? NaN);
    try {
      if (declared > builds.sources.maxBytes) {
        throw new TarmacError(
          'RESOURCE_EXHAUSTED',
          `upload larger than the limit of ${builds.sources.maxBytes} bytes`,
          {
            reason: 'SOURCE_TOO_LARGE',
          },
        );
      }
      const ct = String(req.headers['content-type'] ?? 'application/octet-stream');
      const obj = await builds.sources.put(bucket, name, req, ct);
      sendJson(res, 200, {
        kind: 'storage#object',
        id: `${obj.bucket}/${obj.name}/${obj.generation}`,
        name: obj.name,
        bucket: obj.bucket,
        generation: obj.generation,
        contentType: obj.contentType,
        size: String(obj.size),
        md5Hash: obj.md5,
        timeCreated: obj.createTime,
        updated: obj.createTime,
      });
    } catch (e) {
      // Answer now and drop the connection rather than reading the rest of an oversized body.
      if (!req.readableEnded) res.setHeader('connection', 'close');
      throw e;
    }
  };

  return (r: Router) => {
    for (const base of [P, L]) {
      r.add('POST', `${base}/builds`, create);
      r.add('GET', `${base}/builds`, list);
      r.add('GET', `${base}/builds/:build/log`, log);
      r.add('GET', `${base}/builds/:build`, getOrCancel);
      r.add('POST', `${base}/builds/:build`, getOrCancel);
    }
    r.add('GET', '/v1/operations/build/:project/:op', operation);
    r.add('POST', '/upload/storage/v1/b/:bucket/o', upload);
  };
}

/** CreateBuild's long-running operation; done once the build is. */
export function operationOf(build: Build): BuildOperation & { response?: unknown; error?: unknown } {
  const op = Buffer.from(build.id).toString('base64url');
  const done = isTerminalStatus(build.status);
  return {
    name: `operations/build/${build.projectId}/${op}`,
    metadata: { '@type': BUILD_OPERATION_METADATA_TYPE, build },
    done,
    ...(done
      ? { response: { '@type': 'type.googleapis.com/google.devtools.cloudbuild.v1.Build', ...build } }
      : {}),
  };
}
