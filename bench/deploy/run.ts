// bench/deploy: time from a create (or update) call on the v2 API to its operation being done with the
// revision Ready, through the real API listener, reconciler, data plane and engine. The image is already
// in the engine's store. Usage: npx tsx bench/deploy/run.ts [--deploys=20] [--updates=20]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.ts';
import { startPlatform } from '../../src/platform.ts';
import { silentLogger } from '../../src/shared/index.ts';

const arg = (k: string, d: number): number =>
  Number(process.argv.find((a) => a.startsWith(`--${k}=`))?.split('=')[1] ?? d);
const DEPLOYS = arg('deploys', 20);
const UPDATES = arg('updates', 20);
/** --settle=1: let the previous revision finish draining before the next update (as creates wait for deletes). */
const SETTLE = arg('settle', 0) === 1;
const APP =
  'mkdir -p /www; echo ok > /www/index.html; httpd -f -p "$PORT" -h /www & trap "kill $!; exit 0" TERM; wait';

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};
const fmt = (xs: number[]): string =>
  `p50 ${pct(xs, 50).toFixed(0)} ms  p95 ${pct(xs, 95).toFixed(0)} ms  max ${pct(xs, 100).toFixed(0)} ms  (n=${xs.length})`;

const home = mkdtempSync(join(tmpdir(), 'tarmac-bench-deploy-'));
const config = loadConfig({
  env: { TARMAC_ENGINE_HOST: process.env.TARMAC_ENGINE_HOST ?? '' },
  overrides: { home, ports: { ingress: 0, api: 0, registry: 0, metadata: 0 }, logLevel: 'silent' },
});
const p = await startPlatform(config, { logger: silentLogger() });
const auth = { authorization: `Bearer ${p.iam.ownerCredentials.token}`, 'content-type': 'application/json' };
const parent = `/v2/projects/${config.defaultProject}/locations/${config.defaultRegion}`;

async function call(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${p.urls.api}${path}`, {
    method,
    headers: auth,
    body: body ? JSON.stringify(body) : undefined,
  });
  return (await res.json()) as Record<string, unknown>;
}
const svc = (greeting: string): unknown => ({
  template: {
    containers: [
      {
        image: 'localhost/bbtest:latest',
        command: ['sh', '-c'],
        args: [APP],
        env: [{ name: 'G', value: greeting }],
      },
    ],
  },
});

interface Sample {
  ms: number;
  /** The instance's own start ("started in N ms (create, start, inspect, probe)") from the system log. */
  parts?: Record<'started' | 'create' | 'start' | 'inspect' | 'probe', number>;
}

function startedLine(revision: string): Sample['parts'] {
  const line = p.serving.systemLogs(revision).find((l) => l.includes(' started in '));
  const m =
    /started in (\d+) ms \(create (\d+) ms, start (\d+) ms, inspect (\d+) ms, startup probe (\d+) ms\)/.exec(
      line ?? '',
    );
  if (!m) return undefined;
  const [started, create, start, inspect, probe] = m.slice(1).map(Number) as number[];
  return { started: started!, create: create!, start: start!, inspect: inspect!, probe: probe! };
}

/** One mutation, timed from the request to the operation reporting done (Ready or failed). */
async function timed(method: string, path: string, body?: unknown): Promise<Sample> {
  const t0 = performance.now();
  const op = await call(method, path, body);
  const done = await call('POST', `/v2/${String(op.name)}:wait`, { timeout: '120s' });
  const ms = performance.now() - t0;
  if (!done.done || done.error) throw new Error(`deploy failed: ${JSON.stringify(done.error ?? done)}`);
  const latest = (done.response as { latestReadyRevision?: string } | undefined)?.latestReadyRevision;
  return { ms, parts: latest ? startedLine(latest.split('/').pop()!) : undefined };
}

/** Where the time went: the instance's own start by phase, and the rest (control plane, engine queue). */
function breakdown(label: string, xs: Sample[]): string {
  const with_ = xs.filter((x) => x.parts);
  const med = (f: (x: Sample) => number): string => pct(with_.map(f), 50).toFixed(0);
  return (
    `${label} p50 parts: instance started ${med((x) => x.parts!.started)} ms (create ${med((x) => x.parts!.create)}, ` +
    `start ${med((x) => x.parts!.start)}, inspect ${med((x) => x.parts!.inspect)}, probe ${med((x) => x.parts!.probe)}); ` +
    `outside the instance start ${med((x) => x.ms - x.parts!.started)} ms`
  );
}

try {
  // Warm-up (engine connection, first image inspect), not counted.
  await timed('POST', `${parent}/services?serviceId=warmup`, svc('w'));
  const creates: Sample[] = [];
  for (let i = 0; i < DEPLOYS; i++) {
    creates.push(await timed('POST', `${parent}/services?serviceId=bench-${i}`, svc(`c${i}`)));
    await timed('DELETE', `${parent}/services/bench-${i}`);
  }
  const updates: Sample[] = [];
  for (let i = 0; i < UPDATES; i++) {
    updates.push(await timed('PATCH', `${parent}/services/warmup`, svc(`u${i}`)));
    if (SETTLE) await p.services.reconciler.idle();
  }
  const ms = (xs: Sample[]): number[] => xs.map((x) => x.ms);
  console.log(`create -> Ready: ${fmt(ms(creates))}`);
  console.log(`update -> Ready: ${fmt(ms(updates))}`);
  console.log(breakdown('create', creates));
  console.log(breakdown('update', updates));
  console.log(
    `target p50 < 1000 ms: create ${(pct(ms(creates), 50) / 1000).toFixed(2)}x, update ${(pct(ms(updates), 50) / 1000).toFixed(2)}x of target`,
  );
} finally {
  await p.dispose();
  rmSync(home, { recursive: true, force: true });
}
