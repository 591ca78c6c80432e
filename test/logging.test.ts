import { describe, expect, it } from 'vitest';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { usePlatform } from './harness.ts';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packSource, snapshotSource } from '../src/cli/builds/archive.ts';
import type { Platform } from '../src/platform.ts';
import { Target } from '../src/scheduler/target.testkit.ts';
import { apiCall, defaultProject, headersAs, ownerHeaders } from './auth.ts';
import { RegClient } from './registry-client.ts';

/** Stages a one-line Dockerfile source and creates a build of it; returns the build id. */
async function createBuild(p: Platform): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tarmac-metrics-build-'));
  try {
    writeFileSync(join(dir, 'Dockerfile'), 'FROM localhost/bbtest:latest\n');
    const chunks: Buffer[] = [];
    for await (const c of packSource(snapshotSource(dir)) as AsyncIterable<Buffer>) chunks.push(c);
    const project = p.config.defaultProject;
    const name = 'source/1.000000-metrics.tgz';
    const up = await fetch(
      `${p.urls.api}/upload/storage/v1/b/${project}_cloudbuild/o?uploadType=media&name=${encodeURIComponent(name)}`,
      {
        method: 'POST',
        headers: { ...ownerHeaders(p), 'content-type': 'application/gzip' },
        body: new Uint8Array(Buffer.concat(chunks)),
      },
    );
    const obj = (await up.json()) as { name: string; generation: string; bucket: string };
    const tag = `gcr.io/${project}/metrics-build`;
    const res = await apiCall(p, 'POST', `/v1/projects/${project}/locations/us-central1/builds`, {
      source: { storageSource: { bucket: obj.bucket, object: obj.name, generation: obj.generation } },
      steps: [{ name: 'gcr.io/cloud-builders/docker', args: ['build', '-t', tag, '.'] }],
      images: [tag],
    });
    expect(res.status).toBe(200);
    return (res.json as { metadata: { build: { id: string } } }).metadata.build.id;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

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

  it('counts registry requests and bytes, scheduler attempts by job and result, and build durations', async () => {
    const p = await usePlatform();
    const { projectId } = defaultProject(p);
    const reg = RegClient.owner(p);
    const blob = randomBytes(100_000);
    const digest = await reg.pushBlob(`${projectId}/metrics-test`, blob);
    expect((await reg.req('GET', `/v2/${projectId}/metrics-test/blobs/${digest}`)).body.length).toBe(100_000);

    const target = await new Target({
      now: () => Date.now(),
      setTimeout: () => ({ id: 0 }),
      clearTimeout: () => undefined,
    }).start();
    try {
      const par = `projects/${projectId}/locations/us-central1`;
      const job = { schedule: '0 3 * * *', httpTarget: { uri: `${target.url}/run` } };
      expect(
        (await apiCall(p, 'POST', `/v1/${par}/jobs`, { name: `${par}/jobs/nightly`, ...job })).status,
      ).toBe(200);
      expect((await apiCall(p, 'POST', `/v1/${par}/jobs/nightly:run`, {})).status).toBe(200);
      await target.waitFor(1);
      await p.scheduler.loop.idle();
    } finally {
      await target.stop();
    }
    // A build cancelled right after it was created: its duration is observed under CANCELLED.
    const bid = await createBuild(p);
    const cancel = await apiCall(
      p,
      'POST',
      `/v1/projects/${projectId}/locations/us-central1/builds/${bid}:cancel`,
      {},
    );
    expect(cancel.status).toBe(200);
    // The text parser drops histogram labels, so the build series is read from /metrics.json.
    const buildCount = async (): Promise<number | undefined> => {
      const r = await fetch(`${p.urls.api}/metrics.json`, { headers: ownerHeaders(p) });
      const { metrics } = (await r.json()) as {
        metrics: {
          name: string;
          values: { metricName?: string; labels: { status?: string }; value: number }[];
        }[];
      };
      return metrics
        .find((m) => m.name === 'tarmac_build_duration_seconds')
        ?.values.find(
          (v) => v.metricName === 'tarmac_build_duration_seconds_count' && v.labels.status === 'CANCELLED',
        )?.value;
    };
    await expect.poll(buildCount, { timeout: 30_000 }).toBe(1);

    const res = await fetch(`${p.urls.api}/metrics`, { headers: ownerHeaders(p) });
    const families = parsePrometheusTextFormat(await res.text());
    const family = (name: string) => families.find((f) => f.name === name)?.metrics ?? [];
    const bytes = (direction: string) =>
      Number(family('tarmac_registry_bytes_total').find((m) => m.labels?.direction === direction)?.value);
    expect(bytes('in')).toBeGreaterThanOrEqual(100_000);
    expect(bytes('out')).toBeGreaterThanOrEqual(100_000);
    const regReqs = family('tarmac_registry_requests_total');
    for (const method of ['POST', 'PUT', 'GET'])
      expect(regReqs.some((m) => m.labels?.method === method && m.labels.code_class !== '5xx')).toBe(true);
    expect(family('tarmac_scheduler_attempts_total')).toContainEqual(
      expect.objectContaining({
        labels: { job: `projects/${projectId}/locations/us-central1/jobs/nightly`, result: 'OK' },
        value: '1',
      }),
    );
  });
});
