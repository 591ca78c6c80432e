import { describe, expect, it } from 'vitest';
import { appScript } from './app.ts';
import { get } from './client.ts';
import { useServing } from './harness.ts';
import type { Rig } from './rig.ts';

/** Where requests to /cgi-bin/peer came from, `n` of them one after another. */
async function peers(rig: Rig, url: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await get(url, rig.port, '/cgi-bin/peer');
    expect(r.status).toBe(200);
    // busybox httpd shows IPv4 peers as [::ffff:a.b.c.d].
    out.push(r.body.trim().replace(/^\[::ffff:(.*)\]$/, '$1'));
  }
  return out;
}

/** Requests until one comes over the namespace's loopback (the dialer's helper started), at most 10 s. */
async function untilDirect(rig: Rig, url: string): Promise<string[]> {
  const seen: string[] = [];
  const end = Date.now() + 10_000;
  while (Date.now() < end) {
    const [p] = await peers(rig, url, 1);
    seen.push(p!);
    if (p === '127.0.0.1') return seen;
    await new Promise((r) => setTimeout(r, 50));
  }
  return seen;
}

describe('serving: connections inside the instance network namespace (real engine)', () => {
  it('reaches the app over its own loopback once the dialer runs, bodies included', async () => {
    const rig = await useServing();
    const { url, spec } = await rig.deploy('netns', {});
    // The first request cannot wait for the helper: it goes through the published port.
    const [first] = await peers(rig, url, 1);
    expect(first).not.toBe('127.0.0.1');
    const seen = await untilDirect(rig, url);
    expect(seen.at(-1)).toBe('127.0.0.1');
    // busybox httpd closes every connection: each request from here on is dialed anew.
    expect(await peers(rig, url, 5)).toEqual(Array(5).fill('127.0.0.1'));
    // A request body written before its dialed socket arrived goes out whole.
    const body = Buffer.alloc(300_000, 'x');
    const echoed = await get(url, rig.port, '/cgi-bin/echo', { method: 'POST', body });
    expect(echoed.status).toBe(200);
    expect(echoed.body.length).toBe(body.length);
    // Several at once, each on its own dialed connection.
    const many = await Promise.all(Array.from({ length: 8 }, () => get(url, rig.port, '/cgi-bin/peer')));
    expect(many.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(rig.serving.instanceCounts(spec.name).ready).toBe(1);
  });

  it('keeps using the published port when the app does not answer on loopback', async () => {
    const rig = await useServing();
    const external = `"$(ip -4 -o addr | awk '$2 != "lo" {split($4, a, "/"); print a[1]; exit}'):$PORT"`;
    const { url } = await rig.deploy('netns-ext', { command: ['sh', '-c', appScript(0, external)] });
    const seen = [...(await peers(rig, url, 3))];
    await new Promise((r) => setTimeout(r, 1000));
    seen.push(...(await peers(rig, url, 5)));
    expect(seen).not.toContain('127.0.0.1');
  });

  it('never dials in the namespace when turned off', async () => {
    const rig = await useServing({ dialInNamespace: false });
    const { url } = await rig.deploy('netns-off', {});
    await peers(rig, url, 1);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await peers(rig, url, 3)).not.toContain('127.0.0.1');
  });
});
