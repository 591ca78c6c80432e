import { describe, expect, it } from 'vitest';
import { get, type Reply } from './client.ts';
import { useServing } from './harness.ts';

describe('serving: rollouts and shutdown drain (real engine)', () => {
  it('moves traffic to a new revision under steady load without losing a request', async () => {
    const rig = await useServing();
    const a = await rig.deploy('roll', { concurrency: 4 });
    const replies: Reply[] = [];
    let running = true;
    const worker = async (): Promise<void> => {
      while (running)
        replies.push(
          await get(a.url, rig.port, '/cgi-bin/sleep?0.2').catch(() => ({
            status: -1,
            body: '',
            headers: {},
            ms: 0,
          })),
        );
    };
    const workers = Array.from({ length: 6 }, () => worker());
    await new Promise((r) => setTimeout(r, 1500));
    const b = await rig.deploy('roll', { name: 'roll-00002-new', concurrency: 4 });
    await rig.serving.retireRevision(a.spec.name);
    expect(rig.serving.instanceCounts(a.spec.name)).toEqual({ starting: 0, ready: 0, draining: 0 });
    await new Promise((r) => setTimeout(r, 1500));
    running = false;
    await Promise.all(workers);
    expect(replies.length).toBeGreaterThan(20);
    expect(replies.filter((r) => r.status !== 200)).toEqual([]);
    const env = await get(a.url, rig.port, '/cgi-bin/env');
    expect(env.body).toContain(`K_REVISION=${b.spec.name}`);
  });

  it('lets in-flight requests finish when tarmac shuts down', async () => {
    const rig = await useServing();
    const { url, spec } = await rig.deploy('drain');
    const inflight = get(url, rig.port, '/cgi-bin/sleep?2');
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    await rig.serving.dispose();
    const r = await inflight;
    expect(r.status).toBe(200);
    expect(r.body).toBe('slept 2\n');
    expect(Date.now() - t0).toBeGreaterThan(1000);
    expect(rig.serving.instanceCounts(spec.name).ready).toBe(0);
  });
});
