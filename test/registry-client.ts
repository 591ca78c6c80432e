import { request } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import type { Platform } from '../src/platform.ts';
import { MEDIA } from '../src/registry/index.ts';
import { ownerToken } from './auth.ts';

export const sha256 = (data: Buffer | string): string =>
  `sha256:${createHash('sha256').update(data).digest('hex')}`;

export interface Sent {
  status: number;
  headers: Headers;
  body: Buffer;
  /** The parsed JSON body, or undefined. */
  json: unknown;
}

/** A tiny OCI distribution client over fetch, for conformance tests with exact statuses and headers. */
export class RegClient {
  constructor(
    readonly base: string,
    readonly authorization: string | undefined,
  ) {}

  static owner(p: Platform): RegClient {
    return new RegClient(p.urls.registry, basic(ownerToken(p)));
  }

  as(authorization: string | undefined): RegClient {
    return new RegClient(this.base, authorization);
  }

  async req(
    method: string,
    path: string,
    body?: Buffer | string,
    headers: Record<string, string> = {},
  ): Promise<Sent> {
    const h: Record<string, string> = { ...headers };
    if (this.authorization && !h.authorization) h.authorization = this.authorization;
    const init = {
      method,
      headers: h,
      body: body as unknown as BodyInit | undefined,
      redirect: 'manual' as const,
    };
    const res = await fetch(`${this.base}${path}`, init);
    const buf = Buffer.from(await res.arrayBuffer());
    let json: unknown;
    try {
      json = JSON.parse(buf.toString('utf8'));
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, body: buf, json };
  }

  /** Pushes a blob with POST then PUT; returns its digest. */
  async pushBlob(repo: string, data: Buffer): Promise<string> {
    const start = await this.req('POST', `/v2/${repo}/blobs/uploads/`);
    if (start.status !== 202) throw new Error(`POST upload: ${start.status} ${start.body.toString()}`);
    const digest = sha256(data);
    const loc = start.headers.get('location')!;
    const done = await this.req('PUT', `${loc}?digest=${digest}`, data, {
      'content-type': 'application/octet-stream',
    });
    if (done.status !== 201) throw new Error(`PUT upload: ${done.status} ${done.body.toString()}`);
    return digest;
  }

  /** Pushes config + layers + an image manifest of `mediaType`; returns the manifest and its digest. */
  async pushImage(
    repo: string,
    ref: string,
    opts: { layers?: number; mediaType?: string; extra?: Record<string, unknown> } = {},
  ): Promise<{ digest: string; body: string; size: number }> {
    const docker = opts.mediaType === MEDIA.dockerManifest;
    const config = Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', rnd: randomBytes(8).toString('hex') }),
    );
    const layers: { mediaType: string; digest: string; size: number }[] = [];
    for (let i = 0; i < (opts.layers ?? 2); i++) {
      const data = randomBytes(1000 + i);
      layers.push({
        mediaType: docker
          ? 'application/vnd.docker.image.rootfs.diff.tar.gzip'
          : 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest: await this.pushBlob(repo, data),
        size: data.length,
      });
    }
    const manifest = {
      schemaVersion: 2,
      mediaType: opts.mediaType ?? MEDIA.ociManifest,
      config: {
        mediaType: docker
          ? 'application/vnd.docker.container.image.v1+json'
          : 'application/vnd.oci.image.config.v1+json',
        digest: await this.pushBlob(repo, config),
        size: config.length,
      },
      layers,
      ...opts.extra,
    };
    const body = JSON.stringify(manifest);
    const res = await this.req('PUT', `/v2/${repo}/manifests/${ref}`, body, {
      'content-type': opts.mediaType ?? MEDIA.ociManifest,
    });
    if (res.status !== 201) throw new Error(`PUT manifest: ${res.status} ${res.body.toString()}`);
    return { digest: sha256(body), body, size: Buffer.byteLength(body) };
  }
}

export function basic(token: string, user = 'oauth2accesstoken'): string {
  return `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;
}

/** The first OCI error code of a response. */
export function errorCode(s: Sent): string | undefined {
  return (s.json as { errors?: { code: string }[] } | undefined)?.errors?.[0]?.code;
}

/** A request with the path sent exactly as given (fetch would normalize "..") and an optional body cut short. */
export function rawRequest(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  opts: { body?: Buffer; cutAfter?: number } = {},
): Promise<
  { status: number; headers: Record<string, string | string[] | undefined>; body: string } | 'reset'
> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on('error', (e) => (opts.cutAfter !== undefined ? resolve('reset') : reject(e)));
    if (opts.cutAfter !== undefined && opts.body) {
      // Sends part of the declared body, then drops the connection: a truncated upload.
      req.write(opts.body.subarray(0, opts.cutAfter), () => {
        req.destroy();
        resolve('reset');
      });
      return;
    }
    req.end(opts.body);
  });
}
