import { describe, expect, it } from 'vitest';
import { usePlatform } from './harness.ts';
import { apiCall as call, defaultProject, headersAs, type Json } from './auth.ts';
import type { Platform } from '../src/platform.ts';

const parent = (p: Platform): string => `/v2/projects/${defaultProject(p).projectId}/locations/us-central1`;
/** An image that is not in the registry: its revisions fail fast, which these tests do not mind. */
const svc = (extra: Json = {}, container: Json = {}): Json => ({
  template: { containers: [{ image: 'gcr.io/tarmac-project/not-there', ...container }] },
  ...extra,
});

function violations(r: { json: Json }): string[] {
  const details = (r.json.error?.details ?? []) as Json[];
  const bad = details.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.BadRequest');
  return ((bad?.fieldViolations ?? []) as Json[]).map((v) => String(v.field));
}

describe('run v2 API: validation and errors', () => {
  it('validates service IDs, resources, env, traffic and containers with field violations', async () => {
    const p = await usePlatform();
    const base = `${parent(p)}/services?serviceId=`;
    const cases: [string, Json, string][] = [
      ['Bad_Name', svc(), 'serviceId'],
      ['1abc', svc(), 'serviceId'],
      ['trailing-', svc(), 'serviceId'],
      ['a'.repeat(50), svc(), 'serviceId'],
      ['ok', { template: { containers: [] } }, 'template.containers'],
      ['ok', {}, 'template'],
      ['ok', { template: { containers: [{}] } }, 'template.containers[0].image'],
      [
        'ok',
        svc({}, { resources: { limits: { memory: '64Mi' } } }),
        'template.containers[0].resources.limits.memory',
      ],
      [
        'ok',
        svc({}, { resources: { limits: { memory: '33Gi' } } }),
        'template.containers[0].resources.limits.memory',
      ],
      [
        'ok',
        svc({}, { resources: { limits: { memory: 'lots' } } }),
        'template.containers[0].resources.limits.memory',
      ],
      ['ok', svc({}, { resources: { limits: { cpu: '3' } } }), 'template.containers[0].resources.limits.cpu'],
      ['ok', svc({}, { env: [{ name: 'PORT', value: '1' }] }), 'template.containers[0].env[0].name'],
      ['ok', svc({}, { env: [{ name: 'K_SERVICE', value: '1' }] }), 'template.containers[0].env[0].name'],
      [
        'ok',
        svc(
          {},
          {
            env: [
              { name: 'A', value: '1' },
              { name: 'A', value: '2' },
            ],
          },
        ),
        'template.containers[0].env[1].name',
      ],
      ['ok', svc({}, { ports: [{ containerPort: 70000 }] }), 'template.containers[0].ports[0].containerPort'],
      ['ok', { template: { timeout: '0s', containers: [{ image: 'x/y' }] } }, 'template.timeout'],
      ['ok', { template: { timeout: '3601s', containers: [{ image: 'x/y' }] } }, 'template.timeout'],
      [
        'ok',
        { template: { maxInstanceRequestConcurrency: 1001, containers: [{ image: 'x/y' }] } },
        'template.maxInstanceRequestConcurrency',
      ],
      [
        'ok',
        {
          template: { scaling: { minInstanceCount: 5, maxInstanceCount: 2 }, containers: [{ image: 'x/y' }] },
        },
        'template.scaling.minInstanceCount',
      ],
      ['ok', svc({ traffic: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 50 }] }), 'traffic'],
      [
        'ok',
        svc({
          traffic: [
            { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100, tag: 'a' },
            { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 0, tag: 'a' },
          ],
        }),
        'traffic[1].tag',
      ],
      ['ok', svc({ labels: { 'run.googleapis.com/x': 'y' } }), 'labels.run.googleapis.com/x'],
      [
        'ok',
        {
          template: {
            containers: [
              { image: 'a/b', ports: [{ containerPort: 8080 }] },
              { image: 'c/d', ports: [{ containerPort: 9090 }] },
            ],
          },
        },
        'template.containers',
      ],
      ['ok', svc({ ingress: 'EVERYWHERE' }), 'ingress'],
    ];
    for (const [id, body, field] of cases) {
      const r = await call(p, 'POST', `${base}${id}`, body);
      expect(r.status, `${id} ${JSON.stringify(body)}`).toBe(400);
      expect(r.json.error.status).toBe('INVALID_ARGUMENT');
      expect(violations(r), JSON.stringify(r.json)).toContain(field);
    }
  });

  it('fills Cloud Run defaults and validateOnly stores nothing', async () => {
    const p = await usePlatform();
    const r = await call(p, 'POST', `${parent(p)}/services?serviceId=hello&validateOnly=true`, svc());
    expect(r.status).toBe(200);
    const s = r.json.response as Json;
    const c = s.template.containers[0];
    expect(c.resources.limits).toEqual({ cpu: '1000m', memory: '512Mi' });
    expect(c.ports).toEqual([{ name: 'http1', containerPort: 8080 }]);
    expect(c.startupProbe).toMatchObject({
      tcpSocket: { port: 8080 },
      timeoutSeconds: 240,
      periodSeconds: 240,
      failureThreshold: 1,
    });
    expect(s.template).toMatchObject({
      timeout: '300s',
      maxInstanceRequestConcurrency: 80,
      scaling: { minInstanceCount: 0, maxInstanceCount: 100 },
    });
    expect(s.template.serviceAccount).toBe(
      `${defaultProject(p).projectNumber}-compute@developer.gserviceaccount.com`,
    );
    expect(s).toMatchObject({
      ingress: 'INGRESS_TRAFFIC_ALL',
      launchStage: 'GA',
      traffic: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }],
    });
    expect((await call(p, 'GET', `${parent(p)}/services/hello`)).status).toBe(404);
  });

  it('answers NOT_FOUND, ALREADY_EXISTS, ABORTED on etag, 401 and PERMISSION_DENIED', async () => {
    const p = await usePlatform();
    const missing = await call(p, 'GET', `${parent(p)}/services/nope`);
    expect(missing.status).toBe(404);
    expect(missing.json.error.status).toBe('NOT_FOUND');
    expect((await call(p, 'POST', `${parent(p)}/services?serviceId=dup`, svc())).status).toBe(200);
    const dup = await call(p, 'POST', `${parent(p)}/services?serviceId=dup`, svc());
    expect([dup.status, dup.json.error.status]).toEqual([409, 'ALREADY_EXISTS']);
    const stale = await call(p, 'DELETE', `${parent(p)}/services/dup?etag=${encodeURIComponent('"stale"')}`);
    expect([stale.status, stale.json.error.status]).toEqual([409, 'ABORTED']);
    const patch = await call(p, 'PATCH', `${parent(p)}/services/dup`, { ...svc(), etag: '"stale"' });
    expect(patch.json.error.status).toBe('ABORTED');
    const anon = await call(p, 'GET', `${parent(p)}/services/dup`, undefined, {});
    expect([anon.status, anon.json.error.status]).toEqual([401, 'UNAUTHENTICATED']);
    const stranger = await headersAs(p, 'user:stranger@example.com');
    const denied = await call(p, 'GET', `${parent(p)}/services/dup`, undefined, stranger);
    expect([denied.status, denied.json.error.status]).toEqual([403, 'PERMISSION_DENIED']);
    p.iam.addBinding(
      `projects/${defaultProject(p).projectId}`,
      'roles/run.developer',
      'user:dev@example.com',
    );
    const dev = await headersAs(p, 'user:dev@example.com');
    const other = {
      template: {
        serviceAccount: 'runner@tarmac-project.iam.gserviceaccount.com',
        containers: [{ image: 'x/y' }],
      },
    };
    const actAs = await call(p, 'POST', `${parent(p)}/services?serviceId=runner`, other, dev);
    expect([actAs.status, actAs.json.error?.details?.[0]?.metadata?.permission]).toEqual([
      403,
      'iam.serviceAccounts.actAs',
    ]);
    const noPatch = await call(p, 'PATCH', `${parent(p)}/services/ghost`, svc());
    expect(noPatch.status).toBe(404);
    const allow = await call(p, 'PATCH', `${parent(p)}/services/ghost?allowMissing=true`, svc());
    expect(allow.status).toBe(200);
    const wildcard = await call(p, 'GET', `/v2/projects/${defaultProject(p).projectId}/locations/-/services`);
    expect(wildcard.json.error.status).toBe('INVALID_ARGUMENT');
  });

  it('lists with pageSize/pageToken, by project ID or number, and revisions across services with -', async () => {
    const p = await usePlatform();
    for (const id of ['a1', 'a2', 'a3'])
      expect((await call(p, 'POST', `${parent(p)}/services?serviceId=${id}`, svc())).status).toBe(200);
    const first = await call(p, 'GET', `${parent(p)}/services?pageSize=2`);
    expect(first.json.services.map((s: Json) => s.name.split('/').pop())).toEqual(['a1', 'a2']);
    const second = await call(
      p,
      'GET',
      `${parent(p)}/services?pageSize=2&pageToken=${first.json.nextPageToken}`,
    );
    expect(second.json.services.map((s: Json) => s.name.split('/').pop())).toEqual(['a3']);
    expect(second.json.nextPageToken).toBeUndefined();
    const byNumber = await call(
      p,
      'GET',
      `/v2/projects/${defaultProject(p).projectNumber}/locations/us-central1/services/a1`,
    );
    expect(byNumber.json.name).toBe(
      `projects/${defaultProject(p).projectId}/locations/us-central1/services/a1`,
    );
    expect(byNumber.json).toMatchObject({
      generation: '1',
      uid: expect.any(String),
      etag: expect.any(String),
      creator: 'owner@tarmac.localhost',
    });
    const revs = await call(p, 'GET', `${parent(p)}/services/-/revisions`);
    expect(revs.json.revisions).toHaveLength(3);
    const ops = await call(p, 'GET', `${parent(p)}/operations`);
    expect(ops.json.operations.length).toBeGreaterThanOrEqual(3);
  });

  it('gets, sets and tests service IAM policies with etags', async () => {
    const p = await usePlatform();
    await call(p, 'POST', `${parent(p)}/services?serviceId=pol`, svc());
    const res = `${parent(p)}/services/pol`;
    const got = await call(p, 'GET', `${res}:getIamPolicy`);
    expect(got.status).toBe(200);
    const set = await call(p, 'POST', `${res}:setIamPolicy`, {
      policy: { bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }], etag: got.json.etag },
    });
    expect(set.status).toBe(200);
    expect(set.json.bindings).toEqual([{ role: 'roles/run.invoker', members: ['allUsers'] }]);
    const stale = await call(p, 'POST', `${res}:setIamPolicy`, {
      policy: { bindings: [], etag: got.json.etag },
    });
    expect(stale.json.error.status).toBe('ABORTED');
    const test = await call(p, 'POST', `${res}:testIamPermissions`, {
      permissions: ['run.services.get', 'run.routes.invoke'],
    });
    expect(test.json.permissions).toEqual(['run.services.get', 'run.routes.invoke']);
    const missing = await call(p, 'GET', `${parent(p)}/services/none:getIamPolicy`);
    expect(missing.status).toBe(404);
  });
});
