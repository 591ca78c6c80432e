import { describe, expect, it } from 'vitest';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { openDatabase } from '../../src/store/index.ts';
import { SystemClock } from '../../src/shared/index.ts';
import { ServingHooks, Telemetry, type LogEntry } from '../../src/telemetry/index.ts';
import type { Serving } from '../../src/serving/index.ts';
import { appScript, FAILING_LIVENESS } from './app.ts';
import { get } from './client.ts';
import { useServing } from './harness.ts';

/** A rig whose serving hooks write into a real Telemetry (SQLite in memory, real clock). */
async function useTelemetryRig() {
  const t = new Telemetry(openDatabase(':memory:'), new SystemClock(), { flushIntervalMs: 50 });
  const ref: { serving?: Serving } = {};
  const hooks = new ServingHooks(t, (rev) => ref.serving?.revisionSpec(rev));
  const rig = await useServing({
    onSystemLog: hooks.systemLog,
    onRequest: hooks.requestHook(true),
    observer: hooks,
  });
  ref.serving = rig.serving;
  t.metrics.servingLoad = () => rig.serving.stats();
  const entries = (filter: string): LogEntry[] =>
    t.logs.list({ filter, pageSize: 1000, orderBy: 'timestamp asc' }).entries;
  const texts = (filter: string): string[] => entries(filter).map((e) => e.textPayload ?? '');
  return { t, rig, entries, texts };
}

const JSON_LINE = JSON.stringify({
  severity: 'warning',
  message: 'json hello',
  'logging.googleapis.com/trace': 'projects/serving-test/traces/abc123',
  'logging.googleapis.com/labels': { flavour: 'lime' },
  httpRequest: { requestMethod: 'POST', status: 201 },
  extra: 1,
});

describe('telemetry from real instances', () => {
  it('captures stdout and stderr (JSON and plain), request logs, cold starts, stops and load gauges', async () => {
    const { t, rig, entries, texts } = await useTelemetryRig();
    const prelude = `echo '${JSON_LINE}'; echo 'plain out'; echo 'plain err' >&2; echo '{"severity":"ERROR","message":"broke"}' >&2`;
    const { url, spec } = await rig.deploy('tele', {
      concurrency: 1,
      command: ['sh', '-c', `${prelude}; ${appScript()}`],
    });
    const rev = `resource.labels.revision_name="${spec.name}"`;
    await expect.poll(() => texts(`${rev} logName:"stderr"`), { timeout: 10_000 }).toContain('plain err');
    const json = entries(`${rev} jsonPayload.message="json hello"`)[0];
    expect(json).toMatchObject({
      severity: 'WARNING',
      trace: 'projects/serving-test/traces/abc123',
      httpRequest: { requestMethod: 'POST', status: 201 },
      jsonPayload: { message: 'json hello', extra: 1 },
      resource: { type: 'cloud_run_revision', labels: { service_name: 'tele', revision_name: spec.name } },
    });
    expect(json?.labels).toMatchObject({ flavour: 'lime' });
    expect(json?.labels?.instanceId).toMatch(/\S/);
    expect(Date.parse(json!.timestamp)).toBeGreaterThan(Date.now() - 120_000);
    expect(entries(`${rev} textPayload="plain out"`)[0]?.severity).toBe('DEFAULT');
    expect(entries(`${rev} textPayload="plain err"`)[0]?.severity).toBe('ERROR');
    expect(entries(`${rev} jsonPayload.message="broke"`)[0]?.severity).toBe('ERROR');
    expect(texts(`${rev} logName:"varlog"`).some((l) => /^Instance \w+ started in \d+ ms/.test(l))).toBe(
      true,
    );

    // Three slow requests at concurrency 1: two wait, so the revision scales up with cold starts.
    const trace = '0af7651916cd43dd8448eb211c80319c';
    const slow = [1, 2, 3].map(() =>
      get(url, rig.port, '/cgi-bin/sleep?2', {
        headers: { 'x-cloud-trace-context': `${trace}/7;o=1`, 'user-agent': 'tele-test/1' },
      }),
    );
    await expect.poll(() => rig.serving.stats()[0]?.inflight, { timeout: 5_000 }).toBeGreaterThan(0);
    const during = parsePrometheusTextFormat(await t.metrics.text());
    expect(during.find((f) => f.name === 'tarmac_requests_in_flight')?.metrics[0]?.value).toBe('1');
    expect(
      Number(during.find((f) => f.name === 'tarmac_requests_queued')?.metrics[0]?.value),
    ).toBeGreaterThan(0);
    for (const r of await Promise.all(slow)) expect(r.status).toBe(200);

    const reqs = entries(`${rev} logName:"requests"`);
    expect(reqs).toHaveLength(3);
    expect(reqs[0]).toMatchObject({
      severity: 'INFO',
      trace: `projects/serving-test/traces/${trace}`,
      httpRequest: {
        requestMethod: 'GET',
        requestUrl: '/cgi-bin/sleep?2',
        status: 200,
        userAgent: 'tele-test/1',
        remoteIp: '127.0.0.1',
        protocol: 'HTTP/1.1',
      },
    });
    expect(Number(reqs[0]!.httpRequest!.responseSize)).toBeGreaterThan(0);
    expect(parseFloat(reqs[0]!.httpRequest!.latency)).toBeGreaterThan(1.5);
    expect(reqs.filter((e) => e.labels?.coldStart === 'true').length).toBeGreaterThan(0);
    expect(new Set(reqs.map((e) => e.labels?.instanceId)).size).toBeGreaterThan(1);
    expect(
      texts(`${rev} logName:"varlog"`).some((l) => l.includes('(cold start: requests were waiting)')),
    ).toBe(true);

    const after = parsePrometheusTextFormat(await t.metrics.text());
    const value = (name: string, labels: Record<string, string> = {}) =>
      after
        .find((f) => f.name === name)
        ?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
    expect(value('tarmac_requests_total', { service: 'tele', code_class: '2xx' })?.value).toBe('3');
    expect(Number(value('tarmac_instances', { state: 'ready' })?.value)).toBeGreaterThan(1);
    expect(Number(value('tarmac_cold_starts_total', { revision: spec.name })?.value)).toBeGreaterThan(0);
    expect(value('tarmac_requests_in_flight')?.value).toBe('0');

    // Retiring the revision stops its instances: "stopped" events, and the SIGTERM output captured.
    await rig.serving.retireRevision(spec.name);
    await expect.poll(() => texts(rev), { timeout: 10_000 }).toContain('stopping');
    expect(texts(`${rev} logName:"varlog"`).filter((l) => / stopped\.$/.test(l)).length).toBeGreaterThan(1);
    t.dispose();
  });

  it('logs OOM kills with the memory used, request timeouts and startup probe failures', async () => {
    const { t, rig, texts } = await useTelemetryRig();
    const [hungry, slow] = await Promise.all([
      rig.deploy('hungry', { memoryBytes: 64 * 1024 * 1024 }),
      rig.deploy('slow', { timeoutSeconds: 2 }),
    ]);
    const rev = `resource.labels.revision_name="${hungry.spec.name}" logName:"varlog"`;
    expect((await get(slow.url, rig.port, '/cgi-bin/sleep?4')).status).toBe(504);
    expect((await get(hungry.url, rig.port, '/cgi-bin/oom')).status).toBe(503);
    await expect
      .poll(() => texts(`${rev} severity=ERROR`).join('\n'), { timeout: 10_000 })
      .toMatch(/Memory limit of 64 MiB exceeded with (6[4-9]|[7-9]\d) MiB used/);
    expect(texts('resource.labels.service_name="slow" severity=ERROR').join('\n')).toContain(
      'The request has been terminated because it has reached the maximum request timeout of 2 s',
    );
    const oom = parsePrometheusTextFormat(await t.metrics.text()).find(
      (f) => f.name === 'tarmac_oom_kills_total',
    );
    expect(oom?.metrics[0]).toMatchObject({ labels: { revision: hungry.spec.name }, value: '1' });

    const spec = {
      command: ['sh', '-c', 'echo never listening; sleep 60'],
      startupProbe: {
        initialDelaySeconds: 0,
        timeoutSeconds: 1,
        periodSeconds: 1,
        failureThreshold: 2,
        tcpSocket: { port: 8080 },
      },
    };
    await expect(rig.deploy('deaf', spec)).rejects.toThrow(/STARTUP TCP probe failed/);
    const deaf = 'resource.labels.service_name="deaf"';
    expect(texts(`${deaf} logName:"varlog" severity=ERROR`).join('\n')).toContain(
      'STARTUP TCP probe failed 2 time',
    );
    await expect
      .poll(() => texts(`${deaf} logName:"stdout"`), { timeout: 5_000 })
      .toContain('never listening');

    // Probe metrics, parsed from the text form and found in the JSON form too.
    const sick = await rig.deploy('sick', {
      livenessProbe: FAILING_LIVENESS,
    });
    const series = async (name: string, labels: Record<string, string>) =>
      Number(
        parsePrometheusTextFormat(await t.metrics.text())
          .find((f) => f.name === name)
          ?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value ?? 0,
      );
    const restarts = { service: 'sick', revision: sick.spec.name, reason: 'liveness' };
    await expect
      .poll(() => series('tarmac_instance_restarts_total', restarts), { timeout: 20_000 })
      .toBeGreaterThanOrEqual(1);
    const livenessFailures = await series('tarmac_liveness_probe_failures_total', { service: 'sick' });
    expect(livenessFailures).toBeGreaterThanOrEqual(2);
    expect(await series('tarmac_startup_probe_failures_total', { service: 'deaf' })).toBe(1);
    expect(await series('tarmac_startup_probe_failures_total', { service: 'sick' })).toBe(0);
    const json = (await t.metrics.json()) as { name: string; values: { labels: Record<string, string> }[] }[];
    for (const name of ['tarmac_startup_probe_failures_total', 'tarmac_instance_restarts_total'])
      expect(json.find((m) => m.name === name)?.values.length, name).toBeGreaterThan(0);
    await rig.serving.retireRevision(sick.spec.name);
    t.dispose();
  });
});
