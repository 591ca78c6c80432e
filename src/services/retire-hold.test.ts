import { describe, expect, it } from 'vitest';
import { openDatabase } from '../store/index.ts';
import { LOC, OWNER, RecordingDataPlane, body, makePlane } from './testing.test-helpers.ts';

const turns = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

/** A service with a first revision, then an update whose new revision supersedes it (1 s quiet hold). */
async function superseded(): Promise<{
  plane: ReturnType<typeof makePlane>['plane'];
  dp: RecordingDataPlane;
  clock: ReturnType<typeof makePlane>['clock'];
  first: string;
  second: string;
}> {
  const { plane, dp, clock } = makePlane(openDatabase(':memory:'), new RecordingDataPlane(), 1000);
  const latest = async (): Promise<string> =>
    (await plane.services.get(OWNER, LOC, 'hello')).latestReadyRevision!.split('/').pop()!;
  await plane.services.create(OWNER, LOC, 'hello', body());
  await plane.reconciler.idle();
  const first = await latest();
  await plane.services.update(OWNER, LOC, 'hello', body('gcr.io/proj/hello:v2'));
  await turns();
  return { plane, dp, clock, first, second: await latest() };
}

describe('superseded revisions stop after revision starts (retire-gate.ts)', () => {
  it('holds the old revision while starts are recent, then retires it', async () => {
    const { plane, dp, clock, first, second } = await superseded();
    expect(second).not.toBe(first);
    expect(dp.routes.get('hello')?.routes).toEqual([{ revision: second, percent: 100 }]);
    // Traffic moved at once; the old revision still runs until starts have been quiet for 1 s.
    expect([...dp.running].sort()).toEqual([first, second].sort());
    clock.advance(1000);
    await plane.reconciler.idle();
    expect([...dp.running]).toEqual([second]);
  });

  it('keeps a held revision that traffic moves back to, and a deletion does not wait', async () => {
    const { plane, dp, clock, first } = await superseded();
    const back = [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: first, percent: 100 }];
    await plane.services.update(OWNER, LOC, 'hello', { ...body('gcr.io/proj/hello:v2'), traffic: back });
    await turns();
    expect(dp.routes.get('hello')?.routes).toEqual([{ revision: first, percent: 100 }]);
    clock.advance(1000);
    await plane.reconciler.idle();
    expect([...dp.running]).toEqual([first]);
    // A new revision supersedes the first again: held; deleting the service lets it go at once.
    await plane.services.update(OWNER, LOC, 'hello', body('gcr.io/proj/hello:v3'));
    await turns();
    expect(dp.running.has(first)).toBe(true);
    await plane.services.delete(OWNER, LOC, 'hello');
    await plane.reconciler.idle();
    expect(dp.running.size).toBe(0);
  });
});
