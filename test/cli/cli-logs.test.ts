import { describe, expect, it } from 'vitest';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { usePlatform } from '../harness.ts';
import { ownerHeaders } from '../auth.ts';
import { BUSYBOX_IMAGE } from '../busybox-image.ts';
import { get } from '../serving/client.ts';
import { cliEnv, runTarmac, spawnTarmac } from './run-tarmac.ts';

// Busybox httpd with a slow CGI; prints a JSON line, a stdout and a stderr line at start. No commas
// (--args splits on them): printf's \054 writes the JSON comma.
const SCRIPT = [
  'mkdir -p /www/cgi-bin',
  `printf '#!/bin/sh\\nsleep 2\\nprintf "Content-Type: text/plain\\\\r\\\\n\\\\r\\\\nslept\\\\n"\\n' > /www/cgi-bin/slow`,
  'chmod +x /www/cgi-bin/slow',
  `printf '{"severity":"WARNING"\\054"message":"json hello"}\\n'`,
  'echo plain-out',
  'echo plain-err >&2',
  'exec httpd -f -p $PORT -h /www',
].join(' && ');

describe('tarmac run services logs (real engine)', () => {
  it('reads with --limit/--severity/--freshness, tails across a scale-up, and /metrics counts the requests', async () => {
    const p = await usePlatform();
    const env = cliEnv({ TARMAC_HOME: p.paths.home });
    const dep = await runTarmac(
      ['run', 'deploy', 'chatty', '--image', BUSYBOX_IMAGE, '--command=sh', `--args=-c,${SCRIPT}`].concat([
        '--concurrency=1',
        '--max-instances=3',
        '--allow-unauthenticated',
        '--region=us-central1',
      ]),
      env,
    );
    expect(dep.code, dep.stderr).toBe(0);
    const url = /Service URL: (\S+)/.exec(dep.stderr)![1]!;
    const port = p.listeners.ingress.port;
    expect((await get(url, port, '/cgi-bin/slow', { headers: { 'user-agent': 'logs-cli/1' } })).status).toBe(
      200,
    );

    const read = async (...flags: string[]) => {
      const r = await runTarmac(['run', 'services', 'logs', 'read', 'chatty', ...flags], env);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout;
    };
    await expect.poll(() => read('--limit=100'), { timeout: 10_000 }).toContain('GET 200');
    const all = await read('--limit=100');
    expect(all).toMatch(/^\S+Z WARNING json hello$/m);
    expect(all).toMatch(/^\S+Z DEFAULT plain-out$/m);
    expect(all).toMatch(/^\S+Z ERROR {3}plain-err$/m);
    expect(all).toMatch(/INFO {4}Instance \w+ started in \d+ ms.* and is serving/);
    expect(all).toMatch(/INFO {4}GET 200 [\d.]+s \/cgi-bin\/slow$/m);
    // Oldest first, as a terminal reads them; --limit keeps the newest.
    expect(all.indexOf('plain-out')).toBeLessThan(all.indexOf('GET 200'));
    expect((await read('--limit=1')).trim().split('\n')).toHaveLength(1);
    const errors = await read('--severity=ERROR');
    expect(errors).toContain('plain-err');
    expect(errors).not.toContain('plain-out');
    expect(errors).not.toContain('json hello');
    expect(await read('--severity=warning')).toContain('json hello');
    await expect.poll(() => read('--freshness=1s'), { timeout: 10_000 }).not.toContain('plain-out');
    const json = JSON.parse(await read('--limit=2', '--format=json')) as { httpRequest?: unknown }[];
    expect(json).toHaveLength(2);
    const bad = await runTarmac(['run', 'services', 'logs', 'read', 'chatty', '--freshness=soon'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--freshness');

    // Tail, then three slow requests at concurrency 1: the new instances' lines arrive too.
    const child = spawnTarmac(['run', 'services', 'logs', 'tail', 'chatty'], env);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await expect.poll(() => err, { timeout: 20_000 }).toContain('Tailing logs for service [chatty]');
      const burst = await Promise.all([1, 2, 3].map(() => get(url, port, '/cgi-bin/slow')));
      for (const r of burst) expect(r.status).toBe(200);
      await expect.poll(() => (out.match(/GET 200/g) ?? []).length, { timeout: 10_000 }).toBe(3);
      // Instances started while the tail ran: each one's own output follows its start.
      expect(out).toMatch(/Instance \w+ started in \d+ ms.* and is serving \(cold start/);
      const starts = (): number => (out.match(/Instance \w+ started in/g) ?? []).length;
      await expect.poll(() => (out.match(/DEFAULT plain-out/g) ?? []).length).toBe(starts());
    } finally {
      child.kill('SIGINT');
    }
    await new Promise((r) => child.once('close', r));

    const metrics = await fetch(`${p.urls.api}/metrics`, { headers: ownerHeaders(p) });
    const families = parsePrometheusTextFormat(await metrics.text());
    const total = families
      .find((f) => f.name === 'tarmac_requests_total')
      ?.metrics.filter((m) => m.labels?.service === 'chatty' && m.labels.code_class === '2xx')
      .reduce((n, m) => n + Number(m.value), 0);
    expect(total).toBe(4);
    const latency = families.find((f) => f.name === 'tarmac_request_latency_seconds');
    expect(latency?.type).toBe('HISTOGRAM');
    const instances = families.find((f) => f.name === 'tarmac_instances')?.metrics ?? [];
    expect(instances.some((m) => m.labels?.state === 'ready' && Number(m.value) > 1)).toBe(true);
  }, 180_000);
});
