import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../src/model/index.ts';
import { get } from './client.ts';
import { useServing } from './harness.ts';

describe('serving: request records and system events (real engine)', () => {
  it('reports each request once with its instance, cold-start wait and trace', async () => {
    const records: RequestRecord[] = [];
    const events: string[] = [];
    const rig = await useServing({
      onRequest: (r) => records.push(r),
      onSystemLog: (rev, sev, text) => events.push(`${rev} ${sev} ${text}`),
    });
    const { url, spec } = await rig.deploy('logs');
    const trace = '0af7651916cd43dd8448eb211c80319c';
    const r = await get(url, rig.port, '/cgi-bin/env', {
      headers: { 'x-cloud-trace-context': `${trace}/1;o=1`, 'user-agent': 'logs-test/1' },
    });
    expect(r.status).toBe(200);
    const missing = await get(url, rig.port, '/nope');
    expect(missing.status).toBe(404);
    await expect.poll(() => records.length).toBe(2);
    const [first, second] = records;
    expect(first).toMatchObject({
      revision: spec.name,
      service: 'logs',
      method: 'GET',
      url: '/cgi-bin/env',
      status: 200,
      userAgent: 'logs-test/1',
      remoteIp: '127.0.0.1',
      trace: `${trace}/1;o=1`,
    });
    expect(first!.instanceId).toMatch(/\S/);
    expect(first!.latencyMs).toBeGreaterThan(0);
    expect(second).toMatchObject({ status: 404, url: '/nope', waited: false, instanceId: first!.instanceId });
    expect(events.some((e) => e.startsWith(`${spec.name} INFO`))).toBe(true);
  });
});
