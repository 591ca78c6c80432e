import { describe, expect, it } from 'vitest';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { usePlatform } from './harness.ts';
import { defaultProject, headersAs, ownerHeaders } from './auth.ts';

describe('logging and metrics API', () => {
  it('lists entries with filters, newest first, only for allowed callers', async () => {
    const p = await usePlatform();
    const { projectId } = defaultProject(p);
    const rev = {
      project: projectId,
      service: 'hello',
      revision: 'hello-00001-abc',
      location: 'us-central1',
    };
    p.telemetry.containerLine(rev, 'stdout', 'started');
    p.telemetry.containerLine(rev, 'stderr', 'it broke');
    p.telemetry.systemEvent(rev, 'ERROR', 'Memory limit of 512 MiB exceeded with 600 MiB used');
    p.telemetry.containerLine({ ...rev, project: 'elsewhere' }, 'stderr', 'not yours');
    const list = (body: unknown, headers = ownerHeaders(p)) =>
      fetch(`${p.urls.api}/v2/entries:list`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const res = await list({
      resourceNames: [`projects/${projectId}`],
      filter: 'resource.labels.service_name="hello" AND severity>=ERROR',
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { entries: { textPayload: string }[] };
    expect(body.entries.map((e) => e.textPayload)).toEqual([
      'Memory limit of 512 MiB exceeded with 600 MiB used',
      'it broke',
    ]);

    const bad = await list({ resourceNames: [`projects/${projectId}`], filter: 'severity>=' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { status: string } }).error.status).toBe('INVALID_ARGUMENT');

    const stranger = await headersAs(p, 'user:stranger@example.com');
    const denied = await list({ resourceNames: [`projects/${projectId}`] }, stranger);
    expect(denied.status).toBe(403);
    expect(JSON.stringify(await denied.json())).toContain('logging.logEntries.list');
  });

  it('tails new entries live', async () => {
    const p = await usePlatform();
    const { projectId } = defaultProject(p);
    const ac = new AbortController();
    const res = await fetch(
      `${p.urls.api}/v2/entries:tail?resourceNames=projects/${projectId}&filter=${encodeURIComponent('severity>=ERROR')}`,
      { headers: ownerHeaders(p), signal: ac.signal },
    );
    expect(res.status).toBe(200);
    const rev = { project: projectId, service: 's', revision: 's-00001-aaa', location: 'us-central1' };
    p.telemetry.containerLine(rev, 'stdout', 'quiet');
    p.telemetry.containerLine(rev, 'stderr', 'loud');
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('loud')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).not.toContain('quiet');
    ac.abort();
  });

  it('serves Prometheus text and JSON on /metrics', async () => {
    const p = await usePlatform();
    p.telemetry.metrics.requests.inc({ service: 'hello', revision: 'hello-1', code_class: '2xx' });
    expect((await fetch(`${p.urls.api}/metrics`)).status).toBe(401);
    const res = await fetch(`${p.urls.api}/metrics`, { headers: ownerHeaders(p) });
    expect(res.headers.get('content-type')).toContain('text/plain');
    const families = parsePrometheusTextFormat(await res.text());
    const requests = families.find((f) => f.name === 'tarmac_requests_total');
    expect(requests?.metrics[0]?.labels).toMatchObject({ service: 'hello', code_class: '2xx' });
    const json = await fetch(`${p.urls.api}/metrics.json`, { headers: ownerHeaders(p) });
    expect(((await json.json()) as { metrics: unknown[] }).metrics.length).toBeGreaterThan(5);
  });
});
