import { describe, expect, it } from 'vitest';
import { LABEL_OWNER } from '../src/runtime/index.ts';
import { usePlatform } from './harness.ts';
import { defaultProject, ownerHeaders } from './auth.ts';
import type { Platform } from '../src/platform.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function api(p: Platform, method: string, path: string, body?: unknown): Promise<Json> {
  const res = await fetch(`${p.urls.api}${path}`, {
    method,
    headers: { ...ownerHeaders(p), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { httpStatus: res.status, ...((await res.json()) as Json) };
}
const service = (script: string): Json => ({
  template: { containers: [{ image: 'localhost/bbtest:latest', command: ['sh', '-c', script] }] },
  invokerIamDisabled: true,
});
const instances = async (p: Platform): Promise<number> =>
  (await p.engine.list({ [LABEL_OWNER]: p.installationId })).filter((c) => c.labels['dev.tarmac.revision'])
    .length;

describe('services control plane: progress deadline and showDeleted (real engine, HTTP API)', () => {
  it('fails a revision that never becomes ready within the progress deadline and stops its instance', async () => {
    const p = await usePlatform({ config: { serving: { progressDeadlineSeconds: 3 } } });
    const parent = `/v2/projects/${defaultProject(p).projectId}/locations/us-central1`;
    // Runs, never listens: only the deadline ends the default 240 s startup probe.
    const never = service('trap "exit 0" TERM; while :; do sleep 0.2; done');
    const t0 = Date.now();
    const op = await api(p, 'POST', `${parent}/services?serviceId=stuck`, never);
    const done = await api(p, 'POST', `/v2/${op.name}:wait`, { timeout: '60s' });
    expect(done.done).toBe(true);
    expect(done.error.code).toBe(9);
    expect(done.error.message).toContain('progress deadline of 3 s');
    expect(Date.now() - t0).toBeLessThan(30_000);
    const s = await api(p, 'GET', `${parent}/services/stuck`);
    expect(s.terminalCondition.state).toBe('CONDITION_FAILED');
    const rev = (s.latestCreatedRevision as string).split('/').pop()!;
    const r = await api(p, 'GET', `${parent}/services/stuck/revisions/${rev}`);
    expect(r.conditions[0]).toMatchObject({
      type: 'Ready',
      state: 'CONDITION_FAILED',
      reason: 'PROGRESS_DEADLINE_EXCEEDED',
    });
    await p.services.reconciler.idle();
    expect(await instances(p)).toBe(0);
  }, 90_000);

  it('lists a service or revision whose deletion is still draining only with showDeleted=true', async () => {
    const p = await usePlatform();
    const parent = `/v2/projects/${defaultProject(p).projectId}/locations/us-central1`;
    // httpd as PID 1 ignores SIGTERM, so the drain takes the 10 s grace: a window to list it in.
    const slow = service('mkdir -p /www; echo ok > /www/index.html; exec httpd -f -p "$PORT" -h /www');
    const ready = async (op: Json): Promise<void> =>
      expect((await api(p, 'POST', `/v2/${op.name}:wait`, { timeout: '60s' })).error).toBeUndefined();
    for (const id of ['keep', 'gone'])
      await ready(await api(p, 'POST', `${parent}/services?serviceId=${id}`, slow));
    const first = (await api(p, 'GET', `${parent}/services/keep`)).latestReadyRevision.split('/').pop();
    slow.template.containers[0].env = [{ name: 'V', value: '2' }];
    await ready(await api(p, 'PATCH', `${parent}/services/keep`, slow));
    // The first revision serves no more traffic and drains (10 s): deleting it now leaves it listed
    // as deleted until the drain ends.
    const delRev = await api(p, 'DELETE', `${parent}/services/keep/revisions/${first}`);
    expect(delRev.httpStatus).toBe(200);
    expect(delRev.metadata.deleteTime).toMatch(/^\d{4}-/);
    const del = await api(p, 'DELETE', `${parent}/services/gone`);
    const live = await api(p, 'GET', `${parent}/services`);
    expect(live.services.map((x: Json) => x.name.split('/').pop())).toEqual(['keep']);
    const all = await api(p, 'GET', `${parent}/services?showDeleted=true`);
    expect(all.services.map((x: Json) => x.name.split('/').pop())).toEqual(['gone', 'keep']);
    expect(all.services[0].deleteTime).toMatch(/^\d{4}-/);
    expect(all.services[1].deleteTime).toBeUndefined();
    const bad = await api(p, 'GET', `${parent}/services?showDeleted=maybe`);
    expect(bad.httpStatus).toBe(400);
    expect(bad.error.status).toBe('INVALID_ARGUMENT');

    const names = (r: Json): string[] => r.revisions.map((x: Json) => x.name.split('/').pop());
    const keepRevs = await api(p, 'GET', `${parent}/services/keep/revisions`);
    expect(names(keepRevs)).toHaveLength(1);
    expect(names(keepRevs)[0]).toMatch(/^keep-00002-/);
    const keepAll = await api(p, 'GET', `${parent}/services/keep/revisions?showDeleted=true`);
    expect(names(keepAll)).toHaveLength(2);
    expect(keepAll.revisions.find((x: Json) => x.name.endsWith(`/${first}`)).deleteTime).toMatch(/^\d{4}-/);
    expect(keepAll.revisions.find((x: Json) => !x.name.endsWith(`/${first}`)).deleteTime).toBeUndefined();
    // Across services: the deleted service's revision too, with its service's delete time.
    expect(names(await api(p, 'GET', `${parent}/services/-/revisions`))).toHaveLength(1);
    const everything = await api(p, 'GET', `${parent}/services/-/revisions?showDeleted=true`);
    expect(names(everything)).toHaveLength(3);
    expect(everything.revisions.filter((x: Json) => x.deleteTime)).toHaveLength(2);
    expect((await api(p, 'GET', `${parent}/services/keep/revisions/${first}`)).deleteTime).toMatch(/^\d{4}-/);
    // Deleting it again: it is gone as far as a second delete is concerned.
    const again = await api(p, 'DELETE', `${parent}/services/keep/revisions/${first}`);
    expect(again.httpStatus).toBe(404);
    expect((await api(p, 'GET', `${parent}/services/-/revisions?showDeleted=no`)).httpStatus).toBe(400);

    expect((await api(p, 'POST', `/v2/${del.name}:wait`, { timeout: '60s' })).done).toBe(true);
    const revDone = await api(p, 'POST', `/v2/${delRev.name}:wait`, { timeout: '60s' });
    expect(revDone.response.deleteTime).toMatch(/^\d{4}-/);
    const after = await api(p, 'GET', `${parent}/services?showDeleted=true`);
    expect(after.services.map((x: Json) => x.name.split('/').pop())).toEqual(['keep']);
    expect(names(await api(p, 'GET', `${parent}/services/-/revisions?showDeleted=true`))).toHaveLength(1);
  }, 120_000);
});
