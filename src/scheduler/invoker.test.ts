import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SystemClock, closeServer, listen } from '../shared/index.ts';
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
});
