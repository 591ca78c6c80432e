import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { appScript } from './app.ts';
import { get } from './client.ts';
import { PROJECT_NUMBER, REGION, useServing } from './harness.ts';

describe('serving: routing and the container contract (real engine)', () => {
  it('routes by host, injects the contract env, forwards headers, and streams', async () => {
    const rig = await useServing({ metadataPort: () => 8999 });
    const { url, spec } = await rig.deploy('hello', {
      env: [
        { name: 'GREETING', value: 'hi' },
        { name: 'PORT', value: '1' },
      ],
    });
    expect(url).toBe(`http://hello-${PROJECT_NUMBER}.${REGION}.run.localhost:${rig.port}`);

    const env = await get(url, rig.port, '/cgi-bin/env', {
      headers: { 'x-forwarded-for': '10.1.2.3', connection: 'x-drop', 'x-drop': '1' },
    });
    expect(env.status).toBe(200);
    expect(env.body).toContain('K_SERVICE=hello\n');
    expect(env.body).toContain(`K_REVISION=${spec.name}\n`);
    expect(env.body).toContain('K_CONFIGURATION=hello\n');
    expect(env.body).toContain('PORT=8080\n');
    expect(env.body).toContain('GREETING=hi\n');
    expect(env.body).toContain('GCE_METADATA_HOST=10.0.2.2:8999\n');
    expect(env.body).toContain('XFF=10.1.2.3, 127.0.0.1\n');
    expect(env.body).toContain('XFP=http\n');
    expect(env.body).toContain(`XFH=hello-${PROJECT_NUMBER}.${REGION}.run.localhost:${rig.port}\n`);
    expect(env.body).toMatch(/TRACEPARENT=00-[0-9a-f]{32}-[0-9a-f]{16}-01\n/);
    expect(env.body).toMatch(/XCTC=[0-9a-f]{32}\/\d+;o=1\n/);

    // Unknown host and unknown tag: 404 with a clear body.
    const unknown = await get(`http://nope-${PROJECT_NUMBER}.${REGION}.run.localhost`, rig.port, '/');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain('no service answers at host');
    const tag = await get(`http://zzz---hello-${PROJECT_NUMBER}.${REGION}.run.localhost`, rig.port, '/');
    expect(tag.status).toBe(404);
    expect(tag.body).toContain('no revision is tagged "zzz"');

    // Request bodies stream through; bodies over 32 MiB are refused.
    const echo = await get(url, rig.port, '/cgi-bin/echo', { method: 'POST', body: 'x'.repeat(100_000) });
    expect(echo.body.length).toBe(100_000);
    const big = await get(url, rig.port, '/cgi-bin/echo', {
      method: 'POST',
      headers: { 'content-length': String(33 * 1024 * 1024) },
    }).catch((e: Error) => ({ status: -1, body: e.message }));
    expect(big.status).toBe(413);

    // Server-sent events arrive as they are written (300 ms apart), not all at the end.
    const times: number[] = [];
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const s = connect(rig.port, '127.0.0.1', () =>
        s.write(`GET /cgi-bin/sse HTTP/1.1\r\nhost: ${new URL(url).host}\r\nconnection: close\r\n\r\n`),
      );
      s.on('data', (d: Buffer) => {
        if (d.toString().includes('data: ')) times.push(performance.now() - t0);
      });
      s.on('end', resolve);
      s.on('error', reject);
    });
    expect(times.length).toBeGreaterThanOrEqual(3);
    expect(times.at(-1)! - times[0]!).toBeGreaterThan(600);
  });

  it('splits traffic by percent and a tag URL reaches only its revision', async () => {
    const rig = await useServing();
    const a = await rig.deploy('split');
    const b = await rig.deploy('split', { name: 'split-00002-bbb' });
    rig.route('split', [
      { revision: a.spec.name, percent: 50 },
      { revision: b.spec.name, percent: 50, tag: 'green' },
    ]);
    const seen = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const r = await get(a.url, rig.port, '/cgi-bin/env');
      const rev = /K_REVISION=(\S+)/.exec(r.body)![1]!;
      seen.set(rev, (seen.get(rev) ?? 0) + 1);
    }
    expect(seen.get(a.spec.name)).toBeGreaterThan(5);
    expect(seen.get(b.spec.name)).toBeGreaterThan(5);
    const tagUrl = rig.serving.serviceUrl({ number: PROJECT_NUMBER }, REGION, 'split', 'green');
    for (let i = 0; i < 10; i++) {
      expect((await get(tagUrl, rig.port, '/cgi-bin/env')).body).toContain(`K_REVISION=${b.spec.name}`);
    }
  });

  it('service URLs resolve inside instances, also for services created later', async () => {
    const rig = await useServing();
    const caller = await rig.deploy('caller');
    const later = await rig.deploy('later', { command: ['sh', '-c', appScript()], args: [] });
    const r = await get(caller.url, rig.port, `/cgi-bin/call?${later.url}/cgi-bin/env`);
    expect(r.body).toContain('K_SERVICE=later');
    const md = await get(caller.url, rig.port, '/cgi-bin/call?http://metadata.google.internal:1/');
    expect(md.body).toContain('call failed'); // resolves (to the host loopback); nothing listens on :1
  });
});
