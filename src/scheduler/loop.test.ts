import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock, silentLogger } from '../shared/index.ts';
import { openDatabase, type Db } from '../store/index.ts';
import { Scheduler } from './service.ts';
import { Target } from './target.testkit.ts';

const T0 = Date.parse('2026-06-01T10:00:30Z');
const PARENT = 'projects/p1/locations/us-central1';
const MIN = 60_000;
const allow = async (): Promise<void> => undefined;

let dir: string;
let db: Db;
let clock: FakeClock;
let target: Target;
const open: Scheduler[] = [];

function scheduler(): Scheduler {
  const s = new Scheduler({ db, clock, logger: silentLogger(), drainMs: 200 });
  s.start();
  open.push(s);
  return s;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tarmac-sched-'));
  db = openDatabase(join(dir, 'tarmac.db'));
  clock = new FakeClock(T0);
  target = await new Target(clock).start();
});

afterEach(async () => {
  for (const s of open.splice(0)) await s.dispose();
  await target.stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

async function create(s: Scheduler, id: string, extra: Record<string, unknown> = {}): Promise<string> {
  const name = `${PARENT}/jobs/${id}`;
  await s.create(
    PARENT,
    { name, schedule: '* * * * *', httpTarget: { uri: `${target.url}/hook?x=1` }, ...extra },
    allow,
  );
  return name;
}

/** Moves the fake clock to `t` and waits until every attempt it started has been recorded. */
async function advanceTo(s: Scheduler, t: number): Promise<void> {
  clock.set(t);
  await settle(s);
}

/** Fires timers due now (a FakeClock fires only when moved) until the loop has nothing left to do. */
async function settle(s: Scheduler): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await s.loop.idle();
    clock.advance(0);
  }
  await s.loop.idle();
}

describe('scheduler loop (FakeClock, real SQLite, real sockets)', () => {
  it('fires at the minute with Cloud Scheduler headers and records the history', async () => {
    const s = scheduler();
    const name = await create(s, 'hello', {
      httpTarget: {
        uri: `${target.url}/hook?x=1`,
        httpMethod: 'PUT',
        body: Buffer.from('hi').toString('base64'),
        headers: { 'X-Custom': 'a,b', 'User-Agent': 'mine' },
      },
      timeZone: 'America/New_York',
    });
    expect(s.get(name).scheduleTime).toBe('2026-06-01T10:01:00Z');
    await advanceTo(s, T0 + 29_999);
    expect(target.received).toHaveLength(0);
    await advanceTo(s, T0 + 30_000);
    expect(target.received).toHaveLength(1);
    const r = target.received[0]!;
    expect(r.method).toBe('PUT');
    expect(r.path).toBe('/hook?x=1');
    expect(r.body).toBe('hi');
    expect(r.headers['user-agent']).toBe('Google-Cloud-Scheduler');
    expect(r.headers['x-cloudscheduler']).toBe('true');
    expect(r.headers['x-cloudscheduler-jobname']).toBe('hello');
    expect(r.headers['x-cloudscheduler-scheduletime']).toBe('2026-06-01T06:01:00-04:00');
    expect(r.headers['content-type']).toBe('application/octet-stream');
    expect(r.headers['x-custom']).toBe('a,b');
    const h = s.executions(name).executions;
    expect(h).toHaveLength(1);
    expect(h[0]).toMatchObject({
      scheduleTime: '2026-06-01T10:01:00Z',
      attempt: 1,
      httpStatusCode: 200,
      status: { code: 0, status: 'OK' },
    });
    const job = s.get(name);
    expect(job.status).toEqual({});
    expect(job.lastAttemptTime).toBe('2026-06-01T10:01:00Z');
    expect(job.scheduleTime).toBe('2026-06-01T10:02:00Z');
  });

  it('retries a failing run with the configured backoff and the same ScheduleTime', async () => {
    target.answer = () => 500;
    const s = scheduler();
    const name = await create(s, 'flaky', {
      schedule: '*/10 * * * *',
      retryConfig: { retryCount: 3, minBackoffDuration: '10s', maxBackoffDuration: '40s', maxDoublings: 1 },
    });
    const t = Date.parse('2026-06-01T10:10:00Z');
    await advanceTo(s, t);
    for (const d of [10_000, 30_000, 70_000, 200_000]) await advanceTo(s, t + d);
    expect(target.received.map((r) => (r.at - t) / 1000)).toEqual([0, 10, 30, 70]);
    expect(new Set(target.received.map((r) => r.headers['x-cloudscheduler-scheduletime']))).toEqual(
      new Set(['2026-06-01T10:10:00Z']),
    );
    const h = s.executions(name).executions;
    expect(h.map((e) => [e.attempt, e.httpStatusCode, e.status.status])).toEqual([
      [4, 500, 'INTERNAL'],
      [3, 500, 'INTERNAL'],
      [2, 500, 'INTERNAL'],
      [1, 500, 'INTERNAL'],
    ]);
    expect(s.get(name).status).toMatchObject({ code: 13 });
    expect(s.get(name).scheduleTime).toBe('2026-06-01T10:20:00Z');
  });

  it('never overlaps runs: a run due while the previous one runs fires once, late', async () => {
    target.answer = (r) => (target.received.indexOf(r) === 0 ? 'hang' : 200);
    const s = scheduler();
    await create(s, 'slow', { attemptDeadline: '1800s' });
    clock.set(T0 + 30_000);
    await target.waitFor(1);
    clock.set(T0 + 30_000 + 3 * MIN + 10_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(target.received).toHaveLength(1);
    target.release();
    await settle(s);
    await target.waitFor(2);
    await settle(s);
    expect(target.received.map((r) => r.headers['x-cloudscheduler-scheduletime'])).toEqual([
      '2026-06-01T10:01:00Z',
      '2026-06-01T10:02:00Z',
    ]);
    await advanceTo(s, Date.parse('2026-06-01T10:05:00Z'));
    expect(target.received).toHaveLength(3);
    expect(target.received[2]!.headers['x-cloudscheduler-scheduletime']).toBe('2026-06-01T10:05:00Z');
  });

  it('fires a run that fell due while stopped exactly once on restart', async () => {
    const first = scheduler();
    const name = await create(first, 'durable');
    await advanceTo(first, T0 + 30_000);
    expect(target.received).toHaveLength(1);
    await first.dispose();
    clock.set(T0 + 30_000 + 5 * MIN + 15_000); // down for 5 minutes
    const second = scheduler();
    await settle(second);
    await target.waitFor(2);
    expect(target.received.map((r) => r.headers['x-cloudscheduler-scheduletime'])).toEqual([
      '2026-06-01T10:01:00Z',
      '2026-06-01T10:02:00Z',
    ]);
    // A second restart right away fires nothing again.
    await second.dispose();
    const third = scheduler();
    await settle(third);
    expect(target.received).toHaveLength(2);
    expect(third.get(name).scheduleTime).toBe('2026-06-01T10:07:00Z');
    await advanceTo(third, Date.parse('2026-06-01T10:07:00Z'));
    expect(target.received).toHaveLength(3);
  });

  it('claims runs ahead of time but puts them back when stopped before they are sent', async () => {
    const first = scheduler();
    const name = await create(first, 'lead');
    await advanceTo(first, T0 + 29_000); // inside the lead window of 10:01:00
    expect(first.get(name).lastAttemptTime).toBe('2026-06-01T10:01:00Z');
    expect(target.received).toHaveLength(0);
    await first.dispose();
    expect(first.get(name).lastAttemptTime).toBeUndefined();
    const second = scheduler();
    await advanceTo(second, T0 + 30_000);
    expect(target.received.map((r) => r.headers['x-cloudscheduler-scheduletime'])).toEqual([
      '2026-06-01T10:01:00Z',
    ]);
    expect(target.received[0]!.at).toBe(T0 + 30_000);
  });

  it('does not resend an attempt that was in flight when the process died', async () => {
    const s = scheduler();
    const name = await create(s, 'crash');
    await s.dispose();
    // What a crash right after claiming leaves behind: the run claimed, its attempt started.
    s.repo.claimNew(
      name,
      Date.parse('2026-06-01T10:01:00Z'),
      T0 + 30_000,
      Date.parse('2026-06-01T10:02:00Z'),
    );
    clock.set(T0 + 40_000);
    const again = scheduler();
    await settle(again);
    expect(target.received).toHaveLength(0);
    const h = again.executions(name).executions;
    expect(h).toHaveLength(1);
    expect(h[0]).toMatchObject({ attempt: 1, status: { status: 'ABORTED' } });
    await advanceTo(again, Date.parse('2026-06-01T10:02:00Z'));
    expect(target.received).toHaveLength(1);
  });

  it('cancels an attempt at its deadline', async () => {
    target.answer = () => 'hang';
    const s = scheduler();
    const name = await create(s, 'deadline', { attemptDeadline: '15s' });
    clock.set(T0 + 30_000);
    await target.waitFor(1);
    clock.advance(15_000);
    await s.loop.idle();
    const e = s.executions(name).executions[0]!;
    expect(e.status.status).toBe('DEADLINE_EXCEEDED');
    expect(e.httpStatusCode).toBeUndefined();
  });

  it('pauses, resumes and runs on demand', async () => {
    const s = scheduler();
    const name = await create(s, 'pausable');
    expect(s.pause(name).state).toBe('PAUSED');
    expect(() => s.pause(name)).toThrow(expect.objectContaining({ reason: 'JOB_STATE' }));
    await advanceTo(s, T0 + 3 * MIN);
    expect(target.received).toHaveLength(0);
    s.run(name);
    await target.waitFor(1);
    await s.loop.idle();
    expect(s.executions(name).executions[0]).toMatchObject({ manual: true, httpStatusCode: 200 });
    const resumed = s.resume(name);
    expect(resumed.state).toBe('ENABLED');
    expect(resumed.scheduleTime).toBe('2026-06-01T10:04:00Z');
    await advanceTo(s, Date.parse('2026-06-01T10:04:00Z'));
    expect(target.received).toHaveLength(2);
  });

  it('records a refused connection as UNAVAILABLE', async () => {
    const s = scheduler();
    const name = await create(s, 'nobody', { httpTarget: { uri: 'http://127.0.0.1:1/' } });
    await advanceTo(s, T0 + 30_000);
    expect(s.executions(name).executions[0]).toMatchObject({ status: { status: 'UNAVAILABLE' } });
  });
});
