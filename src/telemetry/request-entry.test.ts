import { describe, expect, it } from 'vitest';
import { openDatabase } from '../store/index.ts';
import { FakeClock } from '../shared/index.ts';
import type { LogEntry } from './entry.ts';
import { ServingHooks } from './hooks.ts';
import { RequestLogTarget, type RequestFacts } from './request-entry.ts';
import { Telemetry } from './telemetry.ts';
import { requestFacts } from './test-fixture.ts';

const spec = { project: 'p', service: 'hello', name: 'hello-00001-abc', region: 'us-central1' };
const facts = (over: Partial<RequestFacts> = {}): RequestFacts =>
  requestFacts({ revision: spec.name, service: spec.service, ...over });

function setup() {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const t = new Telemetry(openDatabase(':memory:'), clock);
  const hooks = new ServingHooks(t, (name) => (name === spec.name ? (spec as never) : undefined));
  return { clock, t, hooks };
}

describe('request log entries', () => {
  it('are stored in Cloud Logging shape, formatted at flush time', () => {
    const { t, hooks } = setup();
    hooks.requestHook(true)(facts());
    hooks.requestHook(true)(facts({ status: 503, userAgent: undefined, waited: false, trace: undefined }));
    const [second, first] = t.logs.list({ filter: 'logName:"requests"' }).entries as [LogEntry, LogEntry];
    expect(first).toEqual({
      logName: 'projects/p/logs/run.googleapis.com%2Frequests',
      resource: {
        type: 'cloud_run_revision',
        labels: {
          project_id: 'p',
          service_name: 'hello',
          revision_name: spec.name,
          location: 'us-central1',
          configuration_name: 'hello',
        },
      },
      severity: 'INFO',
      httpRequest: {
        requestMethod: 'GET',
        requestUrl: '/a?b="c"\n',
        status: 200,
        responseSize: '3',
        userAgent: 'ua "quoted" \u2028',
        remoteIp: '127.0.0.1',
        latency: '0.012500s',
        protocol: 'HTTP/1.1',
      },
      trace: 'projects/p/traces/0af7651916cd43dd8448eb211c80319c',
      labels: { instanceId: 'i-1', coldStart: 'true' },
      timestamp: '2026-01-01T00:00:00.000Z',
      receiveTimestamp: '2026-01-01T00:00:00.000Z',
      insertId: first.insertId,
    });
    expect(second.severity).toBe('ERROR');
    expect(second.trace).toBeUndefined();
    expect(second.labels).toEqual({ instanceId: 'i-1' });
    expect(second.insertId).not.toBe(first.insertId);
    t.dispose();
  });

  it('reach a tail at once, and only metrics are kept when logs are off', async () => {
    const { t, hooks } = setup();
    const seen: LogEntry[] = [];
    const stop = t.logs.tail('logName:"requests"', (e) => seen.push(e));
    hooks.requestHook(true)(facts());
    expect(seen[0]?.httpRequest?.requestUrl).toBe('/a?b="c"\n');
    stop();
    hooks.requestHook(false)(facts({ status: 404 }));
    expect(t.logs.list().entries).toHaveLength(1);
    const text = await t.metrics.text();
    expect(text).toMatch(
      /tarmac_requests_total\{service="hello",revision="hello-00001-abc",code_class="2xx"\} 1/,
    );
    expect(text).toMatch(
      /tarmac_requests_total\{service="hello",revision="hello-00001-abc",code_class="4xx"\} 1/,
    );
    t.dispose();
  });

  it('formats the resource once per revision', () => {
    const target = new RequestLogTarget('p', 's', 'r', 'l');
    expect(JSON.parse(`{${target.head}}`)).toMatchObject({ resource: { labels: { revision_name: 'r' } } });
  });
});
