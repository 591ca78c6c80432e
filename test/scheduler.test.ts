import { createRemoteJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../src/shared/index.ts';
import { Target } from '../src/scheduler/target.testkit.ts';
import type { Platform } from '../src/platform.ts';
import { apiCall as call, defaultProject, headersAs } from './auth.ts';
import { usePlatform } from './harness.ts';
import { quietSchedule } from './scheduler-fixture.ts';

const ALICE = 'user:alice@example.com';

function parent(p: Platform): string {
  return `projects/${defaultProject(p).projectId}/locations/us-central1`;
}

async function withTarget(clock: FakeClock | undefined): Promise<Target> {
  const t = await new Target(
    clock ?? { now: () => Date.now(), setTimeout: () => ({ id: 0 }), clearTimeout: () => undefined },
  ).start();
  return t;
}

describe('scheduler REST API (cloudscheduler v1)', () => {
  it('creates, reads, lists, patches, pauses, resumes, runs and deletes jobs', async () => {
    const p = await usePlatform();
    const target = await withTarget(undefined);
    try {
      const par = parent(p);
      const created = await call(p, 'POST', `/v1/${par}/jobs`, {
        name: `${par}/jobs/nightly`,
        description: 'd',
        schedule: '0 3 * * *',
        timeZone: 'Europe/Berlin',
        httpTarget: {
          uri: `${target.url}/run`,
          httpMethod: 'POST',
          body: Buffer.from('{}').toString('base64'),
        },
      });
      expect(created.status).toBe(200);
      expect(created.json).toMatchObject({
        name: `${par}/jobs/nightly`,
        state: 'ENABLED',
        attemptDeadline: '180s',
        retryConfig: {
          maxRetryDuration: '0s',
          minBackoffDuration: '5s',
          maxBackoffDuration: '3600s',
          maxDoublings: 5,
        },
        httpTarget: { uri: `${target.url}/run`, httpMethod: 'POST' },
      });
      expect(created.json.scheduleTime).toMatch(/T0[12]:00:00Z$/);
      expect(
        (
          await call(p, 'POST', `/v1/${par}/jobs`, {
            name: `${par}/jobs/nightly`,
            schedule: quietSchedule(),
            httpTarget: { uri: target.url },
          })
        ).json.error.status,
      ).toBe('ALREADY_EXISTS');
      await call(p, 'POST', `/v1/${par}/jobs`, {
        name: `${par}/jobs/second`,
        schedule: quietSchedule(),
        httpTarget: { uri: target.url },
      });
      const page1 = await call(p, 'GET', `/v1/${par}/jobs?pageSize=1`);
      expect(page1.json.jobs.map((j: { name: string }) => j.name)).toEqual([`${par}/jobs/nightly`]);
      const page2 = await call(p, 'GET', `/v1/${par}/jobs?pageSize=1&pageToken=${page1.json.nextPageToken}`);
      expect(page2.json.jobs.map((j: { name: string }) => j.name)).toEqual([`${par}/jobs/second`]);
      expect(page2.json.nextPageToken).toBeUndefined();

      const patchedSchedule = quietSchedule(1);
      const patched = await call(
        p,
        'PATCH',
        `/v1/${par}/jobs/nightly?updateMask=schedule,retryConfig.retryCount,description`,
        {
          schedule: patchedSchedule,
          retryConfig: { retryCount: 2 },
        },
      );
      expect(patched.status).toBe(200);
      expect(patched.json).toMatchObject({
        schedule: patchedSchedule,
        timeZone: 'Europe/Berlin',
        retryConfig: { retryCount: 2, maxDoublings: 5 },
      });
      expect(patched.json.description).toBeUndefined();
      expect(patched.json.httpTarget.body).toBe(Buffer.from('{}').toString('base64'));

      expect((await call(p, 'POST', `/v1/${par}/jobs/nightly:pause`, {})).json.state).toBe('PAUSED');
      expect((await call(p, 'POST', `/v1/${par}/jobs/nightly:pause`, {})).json.error).toMatchObject({
        status: 'FAILED_PRECONDITION',
      });
      const ran = await call(p, 'POST', `/v1/${par}/jobs/nightly:run`, {});
      expect(ran.status).toBe(200);
      await target.waitFor(1);
      await p.scheduler.loop.idle();
      expect(target.received[0]!.headers['x-cloudscheduler-jobname']).toBe('nightly');
      const history = await call(p, 'GET', `/v1/${par}/jobs/nightly/executions`);
      expect(history.json.executions[0]).toMatchObject({
        attempt: 1,
        manual: true,
        httpStatusCode: 200,
        status: { code: 0 },
      });
      expect((await call(p, 'POST', `/v1/${par}/jobs/nightly:resume`, {})).json.state).toBe('ENABLED');

      expect((await call(p, 'DELETE', `/v1/${par}/jobs/nightly`)).status).toBe(200);
      const gone = await call(p, 'GET', `/v1/${par}/jobs/nightly`);
      expect(gone.status).toBe(404);
      expect(gone.json.error.status).toBe('NOT_FOUND');
    } finally {
      await target.stop();
    }
  });

  it('answers validation errors as google.rpc BadRequest field violations', async () => {
    const p = await usePlatform();
    const par = parent(p);
    const cases: [Record<string, unknown>, string][] = [
      [{ schedule: '61 * * * *', httpTarget: { uri: 'http://127.0.0.1:9/' } }, 'schedule'],
      [
        { schedule: '* * * * *', timeZone: 'Mars/Olympus', httpTarget: { uri: 'http://127.0.0.1:9/' } },
        'timeZone',
      ],
      [
        { schedule: '* * * * *', attemptDeadline: '5s', httpTarget: { uri: 'http://127.0.0.1:9/' } },
        'attemptDeadline',
      ],
      [{ schedule: '* * * * *' }, 'httpTarget'],
      [{ schedule: '* * * * *', httpTarget: { uri: 'ftp://x/' } }, 'httpTarget.uri'],
      [
        {
          schedule: '* * * * *',
          httpTarget: { uri: 'http://127.0.0.1:9/', httpMethod: 'GET', body: 'aGk=' },
        },
        'httpTarget.body',
      ],
      [
        { schedule: '* * * * *', retryConfig: { retryCount: 9 }, httpTarget: { uri: 'http://127.0.0.1:9/' } },
        'retryConfig.retryCount',
      ],
    ];
    for (const [body, field] of cases) {
      const r = await call(p, 'POST', `/v1/${par}/jobs`, body);
      expect(r.status, field).toBe(400);
      expect(r.json.error.status).toBe('INVALID_ARGUMENT');
      const bad = r.json.error.details.find(
        (d: { '@type': string }) => d['@type'] === 'type.googleapis.com/google.rpc.BadRequest',
      );
      expect(
        bad.fieldViolations.map((v: { field: string }) => v.field),
        field,
      ).toContain(field);
    }
    const mask = await call(p, 'POST', `/v1/${par}/jobs`, {
      name: `${par}/jobs/m`,
      schedule: '* * * * *',
      httpTarget: { uri: 'http://127.0.0.1:9/' },
    });
    expect(mask.status).toBe(200);
    const badMask = await call(p, 'PATCH', `/v1/${par}/jobs/m?updateMask=state`, { state: 'PAUSED' });
    expect(badMask.json.error).toMatchObject({ status: 'INVALID_ARGUMENT' });
  });

  it('needs cloudscheduler permissions and actAs on the job service account', async () => {
    const p = await usePlatform();
    const { projectId } = defaultProject(p);
    const par = parent(p);
    const sa = p.iam.serviceAccounts.create(p.iam.projects.get(projectId), 'job-runner').email;
    const alice = await headersAs(p, ALICE);
    const body = {
      name: `${par}/jobs/a`,
      schedule: '* * * * *',
      httpTarget: { uri: 'http://127.0.0.1:9/', oidcToken: { serviceAccountEmail: sa } },
    };
    const denied = await call(p, 'GET', `/v1/${par}/jobs`, undefined, alice);
    expect(denied.status).toBe(403);
    expect(denied.json.error.message).toContain('cloudscheduler.jobs.list');
    p.iam.addBinding(`projects/${projectId}`, 'roles/cloudscheduler.admin', ALICE);
    const noActAs = await call(p, 'POST', `/v1/${par}/jobs`, body, alice);
    expect(noActAs.status).toBe(403);
    expect(noActAs.json.error.message).toContain('iam.serviceAccounts.actAs');
    p.iam.addBinding(`projects/${projectId}/serviceAccounts/${sa}`, 'roles/iam.serviceAccountUser', ALICE);
    expect((await call(p, 'POST', `/v1/${par}/jobs`, body, alice)).status).toBe(200);
    const anonymous = await fetch(`${p.urls.api}/v1/${par}/jobs`);
    expect(anonymous.status).toBe(401);
  });
});

describe('scheduled runs carry tokens from the platform issuer', () => {
  it('sends an OIDC token (audience defaults to the uri) and an OAuth access token', async () => {
    const clock = new FakeClock(Date.now());
    const p = await usePlatform({ clock });
    const target = await withTarget(clock);
    try {
      const { projectId } = defaultProject(p);
      const par = parent(p);
      const sa = p.iam.serviceAccounts.create(p.iam.projects.get(projectId), 'cron-invoker').email;
      const uri = `${target.url}/tick?from=scheduler`;
      const mk = (id: string, httpTarget: Record<string, unknown>): Promise<unknown> =>
        call(p, 'POST', `/v1/${par}/jobs`, {
          name: `${par}/jobs/${id}`,
          schedule: '* * * * *',
          httpTarget: { uri, ...httpTarget },
        });
      await mk('oidc-default', { oidcToken: { serviceAccountEmail: sa } });
      await mk('oidc-audience', { oidcToken: { serviceAccountEmail: sa, audience: target.url } });
      await mk('oauth', { oauthToken: { serviceAccountEmail: sa } });
      clock.set(Math.floor(clock.now() / 60_000) * 60_000 + 60_000);
      await target.waitFor(3);
      await p.scheduler.loop.idle();

      const discovery = (await (await fetch(`${p.urls.api}/.well-known/openid-configuration`)).json()) as {
        issuer: string;
        jwks_uri: string;
      };
      const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
      const byJob = new Map(target.received.map((r) => [r.headers['x-cloudscheduler-jobname'], r]));
      const bearer = (id: string): string =>
        String(byJob.get(id)!.headers.authorization).replace(/^Bearer /, '');
      const a = await jwtVerify(bearer('oidc-default'), jwks, { issuer: discovery.issuer, audience: uri });
      expect(a.payload.email).toBe(sa);
      const b = await jwtVerify(bearer('oidc-audience'), jwks, {
        issuer: discovery.issuer,
        audience: target.url,
      });
      expect(b.payload.email).toBe(sa);
      expect(await p.iam.authenticate(`Bearer ${bearer('oauth')}`)).toMatchObject({
        kind: 'serviceAccount',
        email: sa,
      });
      for (const r of target.received)
        expect(r.headers['x-cloudscheduler-scheduletime']).toBe(
          new Date(clock.now()).toISOString().replace('.000Z', 'Z'),
        );
    } finally {
      await target.stop();
    }
  });
});
