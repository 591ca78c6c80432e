import type { HttpClient } from './http.ts';
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
}
