import { describe, expect, it } from 'vitest';
import type { Platform } from '../src/platform.ts';
import { defaultProject, headersAs, ownerHeaders } from './auth.ts';
import { usePlatform } from './harness.ts';

interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function call(
  p: Platform,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = ownerHeaders(p),
): Promise<Reply> {
  const res = await fetch(`${p.urls.api}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    headers: res.headers,
  };
}

const err = (r: Reply): Record<string, unknown> => r.body.error as Record<string, unknown>;

describe('IAM v1 service accounts over REST', () => {
  it('creates, gets, lists, patches, disables, enables and deletes', async () => {
    const p = await usePlatform();
    const { projectId, projectNumber } = defaultProject(p);
    const created = await call(p, 'POST', `/v1/projects/${projectId}/serviceAccounts`, {
      accountId: 'builder-bot',
      serviceAccount: { displayName: 'Builder', description: 'builds things' },
    });
    expect(created.status).toBe(200);
    const email = `builder-bot@${projectId}.iam.gserviceaccount.com`;
    expect(created.body).toMatchObject({
      name: `projects/${projectId}/serviceAccounts/${email}`,
      projectId,
      email,
      displayName: 'Builder',
      disabled: false,
    });
    expect(String(created.body.uniqueId)).toMatch(/^\d{21}$/);
    const dup = await call(p, 'POST', `/v1/projects/${projectId}/serviceAccounts`, {
      accountId: 'builder-bot',
    });
    expect([dup.status, err(dup).status]).toEqual([409, 'ALREADY_EXISTS']);
    const bad = await call(p, 'POST', `/v1/projects/${projectId}/serviceAccounts`, { accountId: 'X' });
    expect(err(bad).status).toBe('INVALID_ARGUMENT');

    const byNumber = await call(p, 'GET', `/v1/projects/${projectNumber}/serviceAccounts/${email}`);
    expect(byNumber.body.email).toBe(email);
    const byId = await call(p, 'GET', `/v1/projects/-/serviceAccounts/${String(created.body.uniqueId)}`);
    expect(byId.body.email).toBe(email);
    const list = await call(p, 'GET', `/v1/projects/${projectId}/serviceAccounts`);
    const emails = (list.body.accounts as { email: string }[]).map((a) => a.email);
    expect(emails).toEqual(
      expect.arrayContaining([email, `${projectNumber}-compute@developer.gserviceaccount.com`]),
    );
    const paged = await call(p, 'GET', `/v1/projects/${projectId}/serviceAccounts?pageSize=1`);
    expect((paged.body.accounts as unknown[]).length).toBe(1);
    expect(paged.body.nextPageToken).toBeTruthy();

    const patched = await call(p, 'PATCH', `/v1/projects/${projectId}/serviceAccounts/${email}`, {
      serviceAccount: { displayName: 'Renamed', description: 'ignored' },
      updateMask: 'displayName',
    });
    expect(patched.body).toMatchObject({ displayName: 'Renamed', description: 'builds things' });
    expect((await call(p, 'POST', `/v1/projects/${projectId}/serviceAccounts/${email}:disable`)).status).toBe(
      200,
    );
    expect((await call(p, 'GET', `/v1/projects/-/serviceAccounts/${email}`)).body.disabled).toBe(true);
    expect((await call(p, 'POST', `/v1/projects/${projectId}/serviceAccounts/${email}:enable`)).status).toBe(
      200,
    );
    expect((await call(p, 'DELETE', `/v1/projects/${projectId}/serviceAccounts/${email}`)).status).toBe(200);
    const gone = await call(p, 'GET', `/v1/projects/${projectId}/serviceAccounts/${email}`);
    expect([gone.status, err(gone).status]).toEqual([404, 'NOT_FOUND']);
  });

  it('answers 401 with WWW-Authenticate and 403 naming the permission', async () => {
    const p = await usePlatform();
    const { projectId } = defaultProject(p);
    const path = `/v1/projects/${projectId}/serviceAccounts`;
    const none = await call(p, 'GET', path, undefined, {});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(err(none).status).toBe('UNAUTHENTICATED');
    const junk = await call(p, 'GET', path, undefined, { authorization: 'Bearer tarmac_nope' });
    expect([junk.status, err(junk).status]).toEqual([401, 'UNAUTHENTICATED']);
    const stranger = await call(p, 'GET', path, undefined, await headersAs(p, 'user:eve@example.com'));
    expect(stranger.status).toBe(403);
    expect(err(stranger)).toMatchObject({ status: 'PERMISSION_DENIED' });
    expect(String(err(stranger).message)).toContain('iam.serviceAccounts.list');
    const viewer = 'user:viewer@example.com';
    p.iam.addBinding(`projects/${projectId}`, 'roles/viewer', viewer);
    expect((await call(p, 'GET', path, undefined, await headersAs(p, viewer))).status).toBe(200);
    const create = await call(p, 'POST', path, { accountId: 'viewer-made' }, await headersAs(p, viewer));
    expect(create.status).toBe(403);
    expect(String(err(create).message)).toContain('iam.serviceAccounts.create');
  });
});

describe('project IAM policy', () => {
  it('reads and writes with etags; a stale etag is ABORTED', async () => {
    const p = await usePlatform();
    const { projectId, projectNumber } = defaultProject(p);
    const got = await call(p, 'POST', `/v1/projects/${projectId}:getIamPolicy`, {});
    expect(got.body.bindings).toEqual([{ role: 'roles/owner', members: ['user:owner@tarmac.localhost'] }]);
    const etag = got.body.etag as string;
    const bindings = [
      ...(got.body.bindings as object[]),
      { role: 'roles/run.developer', members: ['user:dev@example.com'] },
    ];
    const set = await call(p, 'POST', `/v1/projects/${projectNumber}:setIamPolicy`, {
      policy: { bindings, etag },
    });
    expect(set.status).toBe(200);
    expect(set.body.etag).not.toBe(etag);
    const stale = await call(p, 'POST', `/v1/projects/${projectId}:setIamPolicy`, {
      policy: { bindings, etag },
    });
    expect([stale.status, err(stale).status]).toEqual([409, 'ABORTED']);
    const unknownRole = await call(p, 'POST', `/v1/projects/${projectId}:setIamPolicy`, {
      policy: { bindings: [{ role: 'roles/nope', members: ['allUsers'] }] },
    });
    expect(err(unknownRole).status).toBe('INVALID_ARGUMENT');
    const badMember = await call(p, 'POST', `/v1/projects/${projectId}:setIamPolicy`, {
      policy: { bindings: [{ role: 'roles/viewer', members: ['bob'] }] },
    });
    expect(err(badMember).status).toBe('INVALID_ARGUMENT');
    const dev = await headersAs(p, 'user:dev@example.com');
    const tested = await call(
      p,
      'POST',
      `/v1/projects/${projectId}:testIamPermissions`,
      {
        permissions: ['run.services.create', 'resourcemanager.projects.setIamPolicy'],
      },
      dev,
    );
    expect(tested.body).toEqual({ permissions: ['run.services.create'] });
    const devSet = await call(
      p,
      'POST',
      `/v1/projects/${projectId}:setIamPolicy`,
      { policy: { bindings } },
      dev,
    );
    expect(String(err(devSet).message)).toContain('resourcemanager.projects.setIamPolicy');
    expect((await call(p, 'GET', `/v3/projects/${projectNumber}`)).body).toMatchObject({
      name: `projects/${projectNumber}`,
      projectId,
    });
  });

  it('lets the owner create projects, each with its default compute account', async () => {
    const p = await usePlatform();
    const made = await call(p, 'POST', '/v1/projects', { projectId: 'second-project' });
    expect(made.body.done).toBe(true);
    const number = (made.body.response as { projectNumber: string }).projectNumber;
    expect(p.iam.defaultServiceAccount('second-project')).toBe(
      `${number}-compute@developer.gserviceaccount.com`,
    );
    const other = await call(
      p,
      'POST',
      '/v1/projects',
      { projectId: 'third-project' },
      await headersAs(p, 'user:x@example.com'),
    );
    expect(other.status).toBe(403);
  });
});
