import { describe, expect, it } from 'vitest';
import { stopPlatform, tempHome, usePlatform } from './harness.ts';
import { defaultProject, ownerHeaders } from './auth.ts';
import type { Platform } from '../src/platform.ts';
import { get, type Reply } from './serving/client.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** busybox httpd on $PORT answering "greet=$GREETING"; sh stays PID 1 so SIGTERM stops it at once. */
const APP = [
  'mkdir -p /www',
  'echo "greet=$GREETING rev=$K_REVISION" > /www/index.html',
  'echo "starting on $PORT"',
  'httpd -f -p "$PORT" -h /www & trap "kill $!; exit 0" TERM',
  'wait',
].join('; ');
const container = (greeting: string, extra: Json = {}): Json => ({
  image: 'localhost/bbtest:latest',
  command: ['sh', '-c'],
  args: [APP],
  env: [{ name: 'GREETING', value: greeting }],
  ...extra,
});
const service = (c: Json, extra: Json = {}): Json => ({
  template: { containers: [c] },
  invokerIamDisabled: true,
  ...extra,
});

async function api(p: Platform, method: string, path: string, body?: unknown): Promise<Json> {
  const res = await fetch(`${p.urls.api}${path}`, {
    method,
    headers: { ...ownerHeaders(p), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await res.json()) as Json;
}

/** Sends a mutation and waits on its operation through the API, as a client would. */
async function mutate(p: Platform, method: string, path: string, body?: unknown): Promise<Json> {
  const op = await api(p, method, path, body);
  expect(op.name, JSON.stringify(op)).toBeTruthy();
  return api(p, 'POST', `/v2/${op.name}:wait`, { timeout: '120s' });
}

/** GET / through the ingress on 127.0.0.1 with the service URL's Host header. */
const viaIngress = (p: Platform, url: string): Promise<Reply> => get(url, p.listeners.ingress.port, '/');

describe('deploys on the real engine and data plane', () => {
  it('deploys, updates, keeps traffic on failures with log lines, pins traffic, deletes', async () => {
    const p = await usePlatform();
    const parent = `/v2/projects/${defaultProject(p).projectId}/locations/us-central1`;
    const created = await mutate(p, 'POST', `${parent}/services?serviceId=web`, service(container('one')));
    expect(created.error, JSON.stringify(created.error)).toBeUndefined();
    const s1 = created.response as Json;
    expect(s1.terminalCondition.state).toBe('CONDITION_SUCCEEDED');
    const rev1 = (s1.latestReadyRevision as string).split('/').pop()!;
    expect(rev1).toMatch(/^web-00001-[a-z0-9]{3}$/);
    expect(s1.uri).toBe(
      `http://web-${defaultProject(p).projectNumber}.us-central1.run.localhost:${p.listeners.ingress.port}`,
    );
    expect(await viaIngress(p, s1.uri)).toMatchObject({ status: 200, body: `greet=one rev=${rev1}\n` });

    const updated = await mutate(p, 'PATCH', `${parent}/services/web`, service(container('two')));
    const rev2 = (updated.response.latestReadyRevision as string).split('/').pop()!;
    expect(rev2).toMatch(/^web-00002-/);
    expect((await viaIngress(p, s1.uri)).body).toBe(`greet=two rev=${rev2}\n`);

    // The container exits at once: the operation fails with its last log lines; traffic stays.
    const crash = container('three', { args: ['echo "config missing: DATABASE_URL" >&2; exit 3'] });
    const failed = await mutate(p, 'PATCH', `${parent}/services/web`, service(crash));
    expect(failed.error.code).toBe(9);
    expect(failed.error.message).toContain('is not ready and cannot serve traffic');
    expect(failed.error.message).toContain('config missing: DATABASE_URL');
    expect((await viaIngress(p, s1.uri)).body).toBe(`greet=two rev=${rev2}\n`);
    const afterFail = await api(p, 'GET', `${parent}/services/web`);
    expect(afterFail.terminalCondition.state).toBe('CONDITION_FAILED');
    expect(afterFail.latestReadyRevision).toContain(rev2);
    const failedRev = (afterFail.latestCreatedRevision as string).split('/').pop()!;
    const revision = await api(p, 'GET', `${parent}/services/web/revisions/${failedRev}`);
    expect(revision.conditions[0]).toMatchObject({ type: 'Ready', state: 'CONDITION_FAILED' });

    // An image that is in no registry or engine store.
    const missing = await mutate(
      p,
      'PATCH',
      `${parent}/services/web`,
      service(container('x', { image: 'gcr.io/tarmac-project/nowhere:1' })),
    );
    expect(missing.error.code).toBe(9);
    expect((await viaIngress(p, s1.uri)).body).toBe(`greet=two rev=${rev2}\n`);

    // Pinned traffic with a tag: the tag URL reaches only its revision.
    const pinned = await mutate(p, 'PATCH', `${parent}/services/web`, {
      ...service(container('four')),
      traffic: [
        { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: rev2, percent: 100 },
        { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 0, tag: 'next' },
      ],
    });
    expect(pinned.error, JSON.stringify(pinned.error)).toBeUndefined();
    expect((await viaIngress(p, s1.uri)).body).toBe(`greet=two rev=${rev2}\n`);
    const tagged = (pinned.response.trafficStatuses as Json[]).find((t) => t.tag === 'next')!;
    expect((await viaIngress(p, tagged.uri)).body).toMatch(/^greet=four rev=web-00005-/);
    const deletable = await api(p, 'DELETE', `${parent}/services/web/revisions/${rev1}`);
    expect((await api(p, 'POST', `/v2/${deletable.name}:wait`, { timeout: '60s' })).done).toBe(true);

    const deleted = await mutate(p, 'DELETE', `${parent}/services/web`);
    expect(deleted.done).toBe(true);
    expect((await viaIngress(p, s1.uri)).status).toBe(404);
  }, 240_000);

  it('brings services back with their URLs after a restart', async () => {
    const home = tempHome();
    const first = await usePlatform({ home, config: { ports: { ingress: 0, api: 0, registry: 0 } } });
    const parent = `/v2/projects/${defaultProject(first).projectId}/locations/us-central1`;
    const names = ['r-one', 'r-two'];
    await Promise.all(
      names.map((n) => mutate(first, 'POST', `${parent}/services?serviceId=${n}`, service(container(n)))),
    );
    await stopPlatform(first);
    const second = await usePlatform({ home });
    await second.services.reconciler.idle();
    for (const n of names) {
      const s = await api(second, 'GET', `${parent}/services/${n}`);
      expect(s.terminalCondition.state).toBe('CONDITION_SUCCEEDED');
      expect((await viaIngress(second, s.uri)).body).toMatch(new RegExp(`^greet=${n} `));
    }
  }, 180_000);
});
