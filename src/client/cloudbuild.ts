import { Readable } from 'node:stream';
import { errorFromResponse, type HttpClient } from './http.ts';
import type { Build, Operation } from './types.ts';

/** cloudbuild.googleapis.com v1 builds (project-level or under a location). */
export class CloudBuildClient {
  constructor(readonly http: HttpClient) {}

  private base(project: string, location?: string): string {
    const p = `/v1/projects/${encodeURIComponent(project)}`;
    return location ? `${p}/locations/${encodeURIComponent(location)}/builds` : `${p}/builds`;
  }

  create(project: string, build: Build, location?: string): Promise<Operation<{ build?: Build }>> {
    return this.http.request('POST', this.base(project, location), { body: build });
  }

  get(project: string, id: string, location?: string): Promise<Build> {
    return this.http.get(`${this.base(project, location)}/${encodeURIComponent(id)}`);
  }

  list(project: string, opts: { filter?: string; location?: string } = {}): Promise<Build[]> {
    return this.http.listAll(this.base(project, opts.location), 'builds', { filter: opts.filter });
  }

  cancel(project: string, id: string, location?: string): Promise<Build> {
    return this.http.request('POST', `${this.base(project, location)}/${encodeURIComponent(id)}:cancel`, {
      body: {},
    });
  }

  /** Streams a source tarball into the build bucket (GCS JSON API media upload); returns the object. */
  async uploadSource(
    bucket: string,
    name: string,
    body: Readable,
    size?: number,
  ): Promise<{ bucket: string; name: string; generation: string; size: string }> {
    const url = this.http.url(`/upload/storage/v1/b/${encodeURIComponent(bucket)}/o`, {
      uploadType: 'media',
      name,
    });
    const token = await this.http.token();
    const headers: Record<string, string> = { 'content-type': 'application/gzip' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (size !== undefined) headers['content-length'] = String(size);
    const res = await fetch(url, {
      method: 'POST',
      headers,
      body: Readable.toWeb(body) as ReadableStream<Uint8Array>,
      duplex: 'half',
    } as RequestInit);
    const parsed = (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    if (!res.ok) throw errorFromResponse(res.status, parsed);
    return parsed as { bucket: string; name: string; generation: string; size: string };
  }

  /** The build's log from `offset`; with `follow`, the stream stays open until the build ends. */
  async log(
    project: string,
    id: string,
    opts: { location?: string; offset?: number; follow?: boolean; signal?: AbortSignal } = {},
  ): Promise<AsyncIterable<Uint8Array>> {
    const path = `${this.base(project, opts.location)}/${encodeURIComponent(id)}/log`;
    const query = { offset: opts.offset, follow: opts.follow ? 'true' : undefined };
    const res = await this.http.fetch('GET', path, { query, signal: opts.signal });
    if (!res.ok) throw errorFromResponse(res.status, await res.json().catch(() => undefined));
    return (res.body ?? Readable.from([])) as AsyncIterable<Uint8Array>;
  }
}
