import { describe, expect, it } from 'vitest';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { Metrics, codeClass } from './metrics.ts';

describe('Metrics', () => {
  it('exports Prometheus text that a parser reads back', async () => {
    const m = new Metrics();
    m.requests.inc({ service: 's', revision: 's-1', code_class: codeClass(204) });
    m.requestLatency.observe({ service: 's', revision: 's-1' }, 0.02);
    // Load and instance gauges are read from the data plane at each scrape.
    m.servingLoad = () => [
      { service: 's', revision: 's-1', inflight: 3, queued: 1, starting: 1, ready: 2, draining: 0 },
    ];
    const families = parsePrometheusTextFormat(await m.text());
    const byName = new Map(families.map((f) => [f.name, f]));
    expect(byName.get('tarmac_requests_total')?.metrics[0]).toMatchObject({
      value: '1',
      labels: { service: 's', code_class: '2xx' },
    });
    expect(byName.get('tarmac_request_latency_seconds')?.type).toBe('HISTOGRAM');
    const ready = byName.get('tarmac_instances')?.metrics.find((x) => x.labels?.state === 'ready');
    expect(ready?.value).toBe('2');
    expect(byName.get('tarmac_requests_in_flight')?.metrics[0]?.value).toBe('3');
    expect(byName.get('tarmac_requests_queued')?.metrics[0]?.value).toBe('1');
    const json = (await m.json()) as { name: string }[];
    expect(json.map((x) => x.name)).toContain('tarmac_oom_kills_total');
  });
});
