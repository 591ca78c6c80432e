import { describe, expect, it } from 'vitest';
import { get } from './client.ts';
import { useServing } from './harness.ts';

describe('serving: concurrency, queueing and scale to zero (real engine)', () => {
  it('200 concurrent requests, concurrency 1, max 3 instances: each 200 or 429 after the wait', async () => {
    const rig = await useServing({ queueWaitSeconds: 6 });
    const { url, spec } = await rig.deploy('busy', { concurrency: 1, maxInstances: 3 });
    const replies = await Promise.all(
      Array.from({ length: 200 }, () => get(url, rig.port, '/cgi-bin/one?0.5')),
    );
    const ok = replies.filter((r) => r.status === 200);
    const limited = replies.filter((r) => r.status === 429);
    expect(ok.length + limited.length).toBe(200);
    expect(ok.length).toBeGreaterThanOrEqual(6);
    expect(limited.length).toBeGreaterThan(0);
    // Never two requests at once in one instance, never more than 3 instances.
    for (const r of ok) expect(r.body).toMatch(/^one \S+\n$/);
    expect(new Set(ok.map((r) => r.body)).size).toBeLessThanOrEqual(3);
    for (const r of limited) {
      expect(r.ms).toBeGreaterThanOrEqual(5900);
      expect(r.body).toContain('Rate exceeded');
    }
    const c = rig.serving.instanceCounts(spec.name);
    expect(c.ready + c.starting).toBeLessThanOrEqual(3);
  });

  it('scales to zero after the idle period; the next request cold-starts and succeeds', async () => {
    const rig = await useServing({ idleTimeoutSeconds: 2 });
    const { url, spec } = await rig.deploy('sleepy');
    expect(rig.serving.instanceCounts(spec.name).ready).toBe(1);
    const end = Date.now() + 20_000;
    while (rig.serving.instanceCounts(spec.name).ready + rig.serving.instanceCounts(spec.name).draining > 0) {
      if (Date.now() > end) throw new Error('did not scale to zero');
      await new Promise((r) => setTimeout(r, 200));
    }
    const cold = await get(url, rig.port, '/cgi-bin/env');
    expect(cold.status).toBe(200);
    expect(cold.body).toContain('K_SERVICE=sleepy');
    expect(rig.serving.systemLogs(spec.name).join('\n')).toContain('idle; shutting down');
  });
});
