import { describe, expect, it } from 'vitest';
import type { Platform } from '../../src/platform.ts';
import { apiCall, defaultProject, type Json } from '../auth.ts';
import { usePlatform } from '../harness.ts';
import { BUSYBOX_IMAGE } from './app.ts';
import { get, type Reply } from './client.ts';

// httpd is PID 1 and ignores SIGTERM, so stopping an instance takes the whole 10 s grace (as with
// many real apps): a retired revision is still tearing down when traffic comes back to it.
const APP = 'mkdir -p /w; echo "rev=$K_REVISION" > /w/index.html; exec httpd -f -p "$PORT" -h /w';
const service = (greeting: string, extra: Json = {}): Json => ({
  template: {
    containers: [
      { image: BUSYBOX_IMAGE, command: ['sh', '-c', APP], env: [{ name: 'GREETING', value: greeting }] },
    ],
    timeout: '60s',
  },
  invokerIamDisabled: true,
  ...extra,
});
/** Each request must be answered in this time (a cold start, with room for a loaded machine). */
const ANSWER_MS = 15_000;

async function mutate(p: Platform, method: string, path: string, body?: unknown): Promise<Json> {
  const op = await apiCall(p, method, path, body);
  expect(op.json.name, JSON.stringify(op.json)).toBeTruthy();
  const done = await apiCall(p, 'POST', `/v2/${op.json.name}:wait`, { timeout: '120s' });
  expect(done.json.error, JSON.stringify(done.json.error)).toBeUndefined();
  return done.json.response as Json;
}

function instances(p: Platform, revs: string[]): number {
  let n = 0;
  for (const r of revs) {
    const c = p.serving.instanceCounts(r);
    n += c.starting + c.ready + c.draining;
  }
  return n;
}

/** `n` requests at once; every one answered 200 by one of `revs` within ANSWER_MS. */
async function burst(p: Platform, url: string, n: number, revs: string[]): Promise<Set<string>> {
  const port = p.listeners.ingress.port;
  const replies: Reply[] = await Promise.all(Array.from({ length: n }, () => get(url, port, '/')));
  const seen = new Set<string>();
  for (const r of replies) {
    expect(r.status, r.body).toBe(200);
    expect(r.ms).toBeLessThan(ANSWER_MS);
    const rev = /^rev=(\S+)/.exec(r.body)?.[1] ?? '';
    expect(revs).toContain(rev);
    seen.add(rev);
  }
  return seen;
}

describe('serving: a traffic split across revisions at zero instances (real engine, HTTP API)', () => {
  it('answers requests to both revisions of a 50/50 split within seconds, also after both scaled to zero', async () => {
    const p = await usePlatform({ config: { serving: { idleTimeoutSeconds: 2 } } });
    const parent = `/v2/projects/${defaultProject(p).projectId}/locations/us-central1`;
    const s1 = await mutate(p, 'POST', `${parent}/services?serviceId=split`, service('one'));
    const rev1 = (s1.latestReadyRevision as string).split('/').pop()!;
    const s2 = await mutate(p, 'PATCH', `${parent}/services/split`, service('two'));
    const rev2 = (s2.latestReadyRevision as string).split('/').pop()!;
    // The first revision is being retired (its instance takes 10 s to stop) when traffic returns.
    const split = await mutate(p, 'PATCH', `${parent}/services/split`, {
      ...service('two'),
      traffic: [
        { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: rev1, percent: 50 },
        { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: rev2, percent: 50 },
      ],
    });
    expect((split.traffic as Json[]).map((t) => t.percent)).toEqual([50, 50]);
    const url = split.uri as string;
    const seen = new Set<string>();
    for (let round = 0; round < 3 && seen.size < 2; round++)
      for (const r of await burst(p, url, 8, [rev1, rev2])) seen.add(r);
    expect([...seen].sort()).toEqual([rev1, rev2].sort());

    // Both scale to zero (2 s idle), then requests cold-start both again.
    const end = Date.now() + 60_000;
    while (instances(p, [rev1, rev2]) > 0) {
      if (Date.now() > end) throw new Error('the revisions did not scale to zero');
      await new Promise((r) => setTimeout(r, 200));
    }
    const again = new Set<string>();
    for (let round = 0; round < 3 && again.size < 2; round++) {
      for (const r of await burst(p, url, 8, [rev1, rev2])) again.add(r);
      // Each round starts from zero again: wait out the idle period.
      while (instances(p, [rev1, rev2]) > 0 && Date.now() < end + 60_000)
        await new Promise((r) => setTimeout(r, 200));
    }
    expect([...again].sort()).toEqual([rev1, rev2].sort());
  }, 240_000);
});
