import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, SystemClock, closeServer, listen } from '../shared/index.ts';
import { HttpInvoker } from './invoker.ts';
import type { JobSpec } from './job.ts';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await closeServer(s, 100);
});

/** A server on 127.0.0.1 that records what it got and answers with `answer(path)`. */
async function server(
  answer: (path: string) => { status: number; location?: string },
): Promise<{ url: string; got: { method: string; path: string; headers: IncomingHttpHeaders }[] }> {
  const got: { method: string; path: string; headers: IncomingHttpHeaders }[] = [];
  const s = createServer((req, res) => {
    got.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    req.resume();
    const a = answer(req.url ?? '');
    res.writeHead(a.status, a.location ? { location: a.location } : {}).end();
  });
  servers.push(s);
  const addr: AddressInfo = await listen(s, '127.0.0.1', 0);
  return { url: `http://127.0.0.1:${addr.port}`, got };
}

const target = (uri: string, over: Partial<JobSpec['httpTarget']> = {}): JobSpec['httpTarget'] =>
  ({
    uri,
    httpMethod: 'POST',
    headers: {},
    body: Buffer.from('hi').toString('base64'),
    ...over,
  }) as JobSpec['httpTarget'];

describe('HttpInvoker', () => {
  it('sends the marker only to the ingress, also across redirects, and follows them as Cloud Scheduler', async () => {
    const outside = await server(() => ({ status: 204 }));
    // The "ingress": internal hosts are routed here; /a redirects within the service, /b outside.
    const ingress = await server((path) =>
      path === '/a' ? { status: 307, location: '/b' } : { status: 302, location: `${outside.url}/landed` },
    );
    const inv = new HttpInvoker({
      clock: new SystemClock(),
      internalRoute: (u) =>
        u.hostname.endsWith('.run.localhost')
          ? { origin: ingress.url, headers: { 'x-tarmac-internal': 'secret' } }
          : undefined,
    });
    try {
      const out = await inv.attempt({
        jobName: 'projects/p/locations/l/jobs/j',
        jobId: 'j',
        scheduleTime: Date.parse('2026-01-01T00:00:00Z'),
        timeZone: 'UTC',
        target: target('http://svc-1.us-central1.run.localhost:8080/a', {
          headers: { 'X-Tarmac-Internal': 'user value', 'X-Custom': 'c' },
        }),
        deadlineMs: 5000,
      });
      expect(out).toMatchObject({ ok: true, httpStatus: 204, code: 'OK' });
      expect(
        ingress.got.map((g) => [g.method, g.path, g.headers.host, g.headers['x-tarmac-internal']]),
      ).toEqual([
        ['POST', '/a', 'svc-1.us-central1.run.localhost:8080', 'secret'],
        ['POST', '/b', 'svc-1.us-central1.run.localhost:8080', 'secret'],
      ]);
      expect(outside.got).toHaveLength(1);
      const landed = outside.got[0]!;
      // 302 turns a POST into a GET; the marker never leaves tarmac; custom headers carry on.
      expect([landed.method, landed.path]).toEqual(['GET', '/landed']);
      expect(landed.headers['x-tarmac-internal']).toBeUndefined();
      expect(landed.headers['x-custom']).toBe('c');
      expect(landed.headers['x-cloudscheduler-scheduletime']).toBe('2026-01-01T00:00:00Z');
    } finally {
      await inv.close();
    }
  });

  it('sends at most `connections` requests per origin; the rest wait, and one cut while waiting is never sent', async () => {
    // A target that holds every request until told to answer.
    const got: string[] = [];
    let held: ServerResponse[] = [];
    let holding = true;
    const s = createServer((req, res) => {
      got.push(req.url ?? '');
      req.resume();
      if (holding) held.push(res);
      else res.writeHead(200).end();
    });
    servers.push(s);
    const addr: AddressInfo = await listen(s, '127.0.0.1', 0);
    const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
    const inv = new HttpInvoker({ clock, connections: 2 });
    try {
      const outcomes = new Map<string, string>();
      for (const [path, deadlineMs] of [
        ['/1', 60_000],
        ['/2', 60_000],
        ['/3', 15_000],
        ['/4', 60_000],
      ] as const) {
        const a = await inv.prepare({
          jobName: `projects/p/locations/l/jobs/j${path}`,
          jobId: 'j',
          scheduleTime: clock.now(),
          timeZone: 'UTC',
          target: target(`http://127.0.0.1:${addr.port}${path}`, { httpMethod: 'GET', body: undefined }),
          deadlineMs,
        });
        inv.fire(a, (o, p) => outcomes.set(p, o.code), path);
      }
      await until(() => got.length === 2);
      await new Promise((r) => setTimeout(r, 50));
      expect(got).toEqual(['/1', '/2']);
      clock.advance(15_000); // /3 is still waiting for a connection: it ends without being sent
      expect(outcomes.get('/3')).toBe('DEADLINE_EXCEEDED');
      holding = false;
      for (const res of held) res.writeHead(200).end();
      held = [];
      await until(() => outcomes.size === 4);
      expect(got).toEqual(['/1', '/2', '/4']);
      expect(Object.fromEntries(outcomes)).toEqual({
        '/1': 'OK',
        '/2': 'OK',
        '/3': 'DEADLINE_EXCEEDED',
        '/4': 'OK',
      });
    } finally {
      await inv.close();
    }
  });
});

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
}
