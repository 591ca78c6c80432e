import { describe, expect, it } from 'vitest';
import { google } from 'googleapis';
import { usePlatform } from './harness.ts';
import { defaultProject, ownerHeaders, ownerToken } from './auth.ts';
import type { Platform } from '../src/platform.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function runClient(p: Platform): ReturnType<typeof google.run> {
  const auth = new google.auth.OAuth2();
  auth.setCredentials({ access_token: ownerToken(p) });
  return google.run({ version: 'v2', rootUrl: `${p.urls.api}/`, auth });
}

/** An image that is not in the registry: the revision fails fast, the API calls are what is tested. */
const IMAGE = 'gcr.io/tarmac-project/client-test';

describe("Google's REST clients against the run API", () => {
  it('googleapis run v2: create, wait, get, list, patch, delete', async () => {
    const p = await usePlatform();
    const run = runClient(p);
    const parent = `projects/${defaultProject(p).projectId}/locations/us-central1`;
    const svc = run.projects.locations.services;
    const ops = run.projects.locations.operations;
    const created = await svc.create({
      parent,
      serviceId: 'gapi',
      requestBody: { template: { containers: [{ image: IMAGE }] } },
    });
    expect(created.data.name).toMatch(new RegExp(`^${parent}/operations/`));
    const waited = await ops.wait({ name: created.data.name!, requestBody: { timeout: '60s' } });
    expect(waited.data.done).toBe(true);
    expect(waited.data.error?.code ?? 0).toBeGreaterThanOrEqual(0);
    const got = await svc.get({ name: `${parent}/services/gapi` });
    expect(got.data.template?.containers?.[0]?.image).toBe(IMAGE);
    expect(got.data.generation).toBe('1');
    const listed = await svc.list({ parent, pageSize: 10 });
    expect(listed.data.services?.map((s) => s.name)).toEqual([`${parent}/services/gapi`]);
    const patched = await svc.patch({
      name: `${parent}/services/gapi`,
      updateMask: 'labels',
      requestBody: { labels: { env: 'test' } },
    });
    const afterPatch = await ops.wait({ name: patched.data.name!, requestBody: { timeout: '60s' } });
    expect(afterPatch.data.done).toBe(true);
    expect((await svc.get({ name: `${parent}/services/gapi` })).data.labels).toEqual({ env: 'test' });
    const fetched = await ops.get({ name: patched.data.name! });
    expect(fetched.data.done).toBe(true);
    const revisions = await svc.revisions.list({ parent: `${parent}/services/gapi` });
    expect(revisions.data.revisions).toHaveLength(1);
    const deleted = await svc.delete({ name: `${parent}/services/gapi` });
    const afterDelete = await ops.wait({ name: deleted.data.name!, requestBody: { timeout: '60s' } });
    expect(afterDelete.data.done).toBe(true);
    await expect(svc.get({ name: `${parent}/services/gapi` })).rejects.toMatchObject({ status: 404 });
    const listedOps = await ops.list({ name: parent });
    expect(listedOps.data.operations?.length).toBeGreaterThanOrEqual(3);
    await ops.delete({ name: deleted.data.name! });
    await expect(ops.get({ name: deleted.data.name! })).rejects.toMatchObject({ status: 404 });
  });

  it('v1 Knative surface: describe --format export then replace round-trips, with resourceVersion', async () => {
    const p = await usePlatform();
    const { projectId, projectNumber } = defaultProject(p);
    const h = { ...ownerHeaders(p), 'content-type': 'application/json' };
    const base = `${p.urls.api}/apis/serving.knative.dev/v1/namespaces/${projectId}/services`;
    const v2 = `${p.urls.api}/v2/projects/${projectId}/locations/us-central1/services`;
    const body = {
      template: { containers: [{ image: IMAGE, env: [{ name: 'A', value: '1' }] }] },
      customAudiences: ['aud-1'],
    };
    expect(
      (await fetch(`${v2}?serviceId=knative`, { method: 'POST', headers: h, body: JSON.stringify(body) }))
        .status,
    ).toBe(200);
    const got = (await (await fetch(`${base}/knative`, { headers: h })).json()) as Json;
    expect(got).toMatchObject({
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Service',
      metadata: { name: 'knative', namespace: projectNumber },
    });
    expect(got.metadata.labels['cloud.googleapis.com/location']).toBe('us-central1');
    expect(got.metadata.annotations['run.googleapis.com/ingress']).toBe('all');
    expect(got.metadata.annotations['run.googleapis.com/custom-audiences']).toBe('["aud-1"]');
    expect(got.spec.template.spec).toMatchObject({ containerConcurrency: 80, timeoutSeconds: 300 });
    expect(got.spec.traffic).toEqual([{ percent: 100, latestRevision: true }]);
    expect(got.status.latestCreatedRevisionName).toMatch(/^knative-00001-/);
    // What `describe --format export` keeps: no status, no server-set metadata.
    const exported: Json = structuredClone(got);
    delete exported.status;
    for (const k of ['uid', 'selfLink', 'creationTimestamp', 'generation']) delete exported.metadata[k];
    const resourceVersion = exported.metadata.resourceVersion as string;
    exported.spec.template.spec.containers[0].env = [{ name: 'A', value: '2' }];
    const put = await fetch(`${base}/knative`, { method: 'PUT', headers: h, body: JSON.stringify(exported) });
    expect(put.status).toBe(200);
    const after = (await put.json()) as Json;
    expect(after.metadata.generation).toBe(2);
    expect(after.spec.template.spec.containers[0].env).toEqual([{ name: 'A', value: '2' }]);
    expect(after.metadata.annotations['run.googleapis.com/custom-audiences']).toBe('["aud-1"]');
    expect(after.status.latestCreatedRevisionName).toMatch(/^knative-00002-/);
    // A stale resourceVersion is a conflict.
    exported.metadata.resourceVersion = resourceVersion;
    const stale = await fetch(`${base}/knative`, {
      method: 'PUT',
      headers: h,
      body: JSON.stringify(exported),
    });
    expect(stale.status).toBe(409);
    // Replace of a service that does not exist creates it; DELETE removes it.
    const fresh = {
      ...exported,
      metadata: { ...exported.metadata, name: 'fresh', resourceVersion: undefined },
    };
    expect(
      (await fetch(`${base}/fresh`, { method: 'PUT', headers: h, body: JSON.stringify(fresh) })).status,
    ).toBe(201);
    const list = (await (await fetch(base, { headers: h })).json()) as Json;
    expect(list.items.map((i: Json) => i.metadata.name)).toEqual(['fresh', 'knative']);
    const del = (await (await fetch(`${base}/fresh`, { method: 'DELETE', headers: h })).json()) as Json;
    expect(del).toMatchObject({ kind: 'Status', status: 'Success' });
  });
});
