import { describe, expect, it } from 'vitest';
import { appScript, FAILING_LIVENESS } from './app.ts';
import { get } from './client.ts';
import { appSpec, useServing } from './harness.ts';

async function until<T>(fn: () => Promise<T | undefined> | T | undefined, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('serving: limits, probes and failures (real engine)', () => {
  it('answers 504 past the timeout while the instance lives on', async () => {
    const rig = await useServing();
    const { url, spec } = await rig.deploy('slow', { timeoutSeconds: 2 });
    const r = await get(url, rig.port, '/cgi-bin/sleep?4');
    expect(r.status).toBe(504);
    expect(r.body).toContain('upstream request timeout');
    expect(r.ms).toBeLessThan(3500);
    expect((await get(url, rig.port, '/')).status).toBe(200);
    expect(rig.serving.instanceCounts(spec.name).ready).toBe(1);
    expect(rig.serving.systemLogs(spec.name).filter((l) => l.includes('started in'))).toHaveLength(1);
  });

  it('kills an instance over its memory limit: 503 with a clear body, logged, replaced', async () => {
    const rig = await useServing();
    const { url, spec } = await rig.deploy('hungry', { memoryBytes: 64 * 1024 * 1024 });
    const r = await get(url, rig.port, '/cgi-bin/oom');
    expect(r.status).toBe(503);
    expect(r.body).toContain('Memory limit of 64 MiB exceeded');
    // Answered once the kill is known: the GET is not retried into a new instance to be killed again.
    expect(r.ms).toBeLessThan(8000);
    expect(rig.serving.systemLogs(spec.name).filter((l) => l.includes('exceeded'))).toHaveLength(1);
    expect(rig.serving.systemLogs(spec.name).join('\n')).toMatch(
      /ERROR Memory limit of 64 MiB exceeded with (6[4-9]|[7-9]\d) MiB used\. Consider increasing the memory limit\./,
    );
    const next = await until(async () => {
      const x = await get(url, rig.port, '/');
      return x.status === 200 ? x : undefined;
    }, 30_000);
    expect(next.body).toBe('ok\n');
  });

  it('answers a GET whose worker was OOM-killed at once with 503, without retrying it', async () => {
    const lines: string[] = [];
    const rig = await useServing({
      observer: {
        instanceLog: (_spec, _id, line) => void lines.push(line.text),
        instanceStarted: () => undefined,
        instanceOomKilled: () => undefined,
      },
    });
    const { url, spec } = await rig.deploy('hog', { memoryBytes: 64 * 1024 * 1024 });
    const r = await get(url, rig.port, '/cgi-bin/hog');
    expect(r.status).toBe(503);
    expect(r.body).toContain('Memory limit of 64 MiB exceeded');
    // Retried after the reset, each attempt allocated again and was killed again (6 runs, ~20 s).
    expect(r.ms).toBeLessThan(8000);
    await until(() => rig.serving.systemLogs(spec.name).some((l) => l.includes('stopped')), 30_000);
    expect(lines.filter((l) => l.includes('hog attempt'))).toHaveLength(1);
  });

  it('reports a container that exits before listening, with its log tail, and backs off', async () => {
    const rig = await useServing();
    const spec = appSpec('crashy', { command: ['sh', '-c', 'echo boom-before-exit; exit 3'] });
    const r = await rig.serving.ensureRevision(spec);
    expect(r.ready).toBe(false);
    if (r.ready) return;
    expect(r.reason).toBe('CONTAINER_EXITED');
    expect(r.message).toContain('exited with code 3');
    expect(r.logTail.join('\n')).toContain('boom-before-exit');
    expect(rig.serving.systemLogs(spec.name).join('\n')).toContain('crash loop backoff');
    // While backing off, a request routed to it fails fast with the reason instead of hanging.
    const url = rig.route('crashy', [{ revision: spec.name, percent: 100 }]);
    const res = await get(url, rig.port, '/');
    expect(res.status).toBe(503);
    expect(res.body).toContain('exited with code 3');
  });

  it('waits for the startup probe: no request reaches an instance that does not listen yet', async () => {
    const rig = await useServing();
    const t0 = Date.now();
    const { url } = await rig.deploy('late', { command: ['sh', '-c', appScript(2)] });
    expect(Date.now() - t0).toBeGreaterThan(2000);
    expect((await get(url, rig.port, '/')).status).toBe(200);
  });

  it('restarts an instance whose liveness probe fails', async () => {
    const rig = await useServing();
    const { spec } = await rig.deploy('sick', {
      livenessProbe: FAILING_LIVENESS,
    });
    await until(
      () => rig.serving.systemLogs(spec.name).some((l) => l.includes('LIVENESS probe failed')),
      20_000,
    );
    await until(
      () => rig.serving.systemLogs(spec.name).filter((l) => l.includes('started in')).length >= 2,
      30_000,
    );
  });
});
