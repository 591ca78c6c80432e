import { describe, expect, it } from 'vitest';
import { TarmacError } from '../shared/index.ts';
import { openDatabase } from '../store/index.ts';
import { LOC, OWNER, STRANGER, body, makePlane } from './testing.test-helpers.ts';

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'OK';
  } catch (e) {
    return e instanceof TarmacError ? `${e.code}/${e.reason}` : String(e);
  }
};

describe('services control plane (in-test data plane)', () => {
  it('creates a service whose first revision becomes ready and takes LATEST traffic', async () => {
    const { plane, dp } = makePlane();
    const op = await plane.services.create(OWNER, LOC, 'hello', body());
    expect(op.done).toBe(false);
    expect(op.name).toMatch(/^projects\/proj\/locations\/us-central1\/operations\/[0-9a-f-]{36}$/);
    await plane.reconciler.idle();
    const done = await plane.queries.getOperation(OWNER, LOC, op.name.split('/').pop()!);
    expect(done.done).toBe(true);
    const s = done.response as Record<string, unknown>;
    expect(s['@type']).toBe('type.googleapis.com/google.cloud.run.v2.Service');
    expect(s.latestReadyRevision).toMatch(
      /^projects\/proj\/locations\/us-central1\/services\/hello\/revisions\/hello-00001-[a-z0-9]{3}$/,
    );
    expect(s).toMatchObject({
      generation: '1',
      observedGeneration: '1',
      reconciling: false,
      uri: 'http://hello-123456789012.us-central1.run.localhost:8080',
    });
    expect(s.terminalCondition).toMatchObject({ type: 'Ready', state: 'CONDITION_SUCCEEDED' });
    const rev = (s.latestReadyRevision as string).split('/').pop()!;
    expect(dp.routes.get('hello')?.routes).toEqual([{ revision: rev, percent: 100 }]);
    expect(dp.ensured[0]).toMatchObject({
      image: 'localhost:8091/proj/hello',
      memoryBytes: 512 * 1024 * 1024,
      cpu: 1,
      concurrency: 80,
      timeoutSeconds: 300,
      maxInstances: 100,
      serviceAccountEmail: '123456789012-compute@developer.gserviceaccount.com',
    });
  });

  it('creates a new revision per template change, moves LATEST and retires the old one', async () => {
    const { plane, dp } = makePlane();
    await plane.services.create(OWNER, LOC, 'hello', body());
    await plane.reconciler.idle();
    const first = (await plane.services.get(OWNER, LOC, 'hello')).latestReadyRevision!.split('/').pop()!;
    // A service-level change makes no revision.
    await plane.services.update(OWNER, LOC, 'hello', { labels: { team: 'a' } }, { updateMask: 'labels' });
    await plane.reconciler.idle();
    expect((await plane.services.get(OWNER, LOC, 'hello')).latestCreatedRevision).toContain(first);
    await plane.services.update(OWNER, LOC, 'hello', body('gcr.io/proj/hello:v2'));
    await plane.reconciler.idle();
    const s = await plane.services.get(OWNER, LOC, 'hello');
    const second = s.latestReadyRevision!.split('/').pop()!;
    expect(second).toMatch(/^hello-00002-/);
    expect(s.generation).toBe('3');
    expect(dp.routes.get('hello')?.routes).toEqual([{ revision: second, percent: 100 }]);
    expect([...dp.running]).toEqual([second]);
    expect((await plane.queries.listRevisions(OWNER, LOC, 'hello')).revisions).toHaveLength(2);
  });

  it('keeps traffic where it was when a new revision fails, and says why with the log tail', async () => {
    const { plane, dp } = makePlane();
    await plane.services.create(OWNER, LOC, 'hello', body());
    await plane.reconciler.idle();
    const good = dp.routes.get('hello')!.routes[0]!.revision;
    const op = await plane.services.update(OWNER, LOC, 'hello', body('gcr.io/proj/fail'));
    await plane.reconciler.idle();
    const done = await plane.queries.getOperation(OWNER, LOC, op.name.split('/').pop()!);
    expect(done.error?.code).toBe(9);
    expect(done.error?.message).toContain(
      'is not ready and cannot serve traffic. The container exited with code 3.',
    );
    expect(done.error?.message).toContain('boom: no config');
    expect(dp.routes.get('hello')!.routes).toEqual([{ revision: good, percent: 100 }]);
    const s = await plane.services.get(OWNER, LOC, 'hello');
    expect(s.terminalCondition).toMatchObject({ state: 'CONDITION_FAILED', reason: 'REVISION_FAILED' });
    expect(s.latestReadyRevision).toContain(good);
  });

  it('pins traffic to named revisions and splits by percent with tags', async () => {
    const { plane, dp } = makePlane();
    await plane.services.create(OWNER, LOC, 'hello', body());
    await plane.reconciler.idle();
    const r1 = dp.routes.get('hello')!.routes[0]!.revision;
    await plane.services.update(OWNER, LOC, 'hello', {
      ...body('gcr.io/proj/hello:v2'),
      traffic: [
        { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: r1, percent: 90 },
        { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 10, tag: 'canary' },
      ],
    });
    await plane.reconciler.idle();
    const s = await plane.services.get(OWNER, LOC, 'hello');
    const r2 = s.latestReadyRevision!.split('/').pop()!;
    expect(dp.routes.get('hello')!.routes).toEqual([
      { revision: r1, percent: 90 },
      { revision: r2, percent: 10, tag: 'canary' },
    ]);
    expect(s.trafficStatuses[1]).toMatchObject({
      tag: 'canary',
      uri: 'http://canary---hello-123456789012.us-central1.run.localhost:8080',
    });
    expect(await codeOf(plane.queries.deleteRevision(OWNER, LOC, 'hello', r1))).toBe(
      'FAILED_PRECONDITION/REVISION_IN_USE',
    );
  });

  it('deletes a service: routes removed, revisions retired, records gone, name reusable', async () => {
    const { plane, dp } = makePlane();
    await plane.services.create(OWNER, LOC, 'hello', body());
    await plane.reconciler.idle();
    const op = await plane.services.delete(OWNER, LOC, 'hello');
    await plane.reconciler.idle();
    expect((await plane.queries.getOperation(OWNER, LOC, op.name.split('/').pop()!)).done).toBe(true);
    expect(dp.routes.has('hello')).toBe(false);
    expect(dp.running.size).toBe(0);
    expect(await codeOf(plane.services.get(OWNER, LOC, 'hello'))).toBe('NOT_FOUND/SERVICE_NOT_FOUND');
    expect(await codeOf(plane.services.create(OWNER, LOC, 'hello', body()))).toBe('OK');
  });

  it('resumes after a restart: serving revisions are started again and routes restored', async () => {
    const db = openDatabase(':memory:');
    const first = makePlane(db);
    await first.plane.services.create(OWNER, LOC, 'hello', body());
    await first.plane.reconciler.idle();
    first.plane.dispose();
    const second = makePlane(db);
    await second.plane.reconciler.idle();
    expect(second.dp.routes.get('hello')?.routes).toHaveLength(1);
    expect(second.dp.running.size).toBe(1);
  });

  it('rejects callers without permission and actAs on a chosen service account', async () => {
    const { plane } = makePlane();
    expect(await codeOf(plane.services.create(STRANGER, LOC, 'hello', body()))).toBe(
      'PERMISSION_DENIED/PERMISSION_DENIED',
    );
    const sa = {
      template: { serviceAccount: 'nobody@proj.iam.gserviceaccount.com', containers: [{ image: 'x/y' }] },
    };
    expect(await codeOf(plane.services.create(OWNER, LOC, 'hello', sa))).toBe(
      'PERMISSION_DENIED/PERMISSION_DENIED',
    );
  });

  it('waits on an operation until it is done', async () => {
    const { plane, dp } = makePlane();
    let open: () => void = () => undefined;
    dp.gate = new Promise((r) => (open = r));
    const op = await plane.services.create(OWNER, LOC, 'hello', body());
    const waited = plane.queries.waitOperation(OWNER, LOC, op.name.split('/').pop()!, '30s');
    open();
    expect((await waited).done).toBe(true);
  });
});
