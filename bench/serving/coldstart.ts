/**
 * bench/serving (b): cold start. 20 scale-from-zero cycles of a small Python app (stdlib HTTP server
 * on python:3.11-slim): each waits until the revision has no instance (idle period 1 s), then times
 * one request through the ingress. "The app's own start" is measured in the same cycle: the same
 * container (image, command, env, memory, network mode, published port) created and started directly
 * on the engine, timed from the create call until it answers GET / on its published port (polled
 * every 2 ms). The difference of the p50s is what tarmac adds. Also prints the instances' launch
 * breakdown (create, start, inspect, startup probe) from serving's system log.
 *   npx tsx bench/serving/coldstart.ts [cycles=20]
 */
import { request } from 'node:http';
import { LABEL_MANAGED, LABEL_OWNER } from '../../src/runtime/index.ts';
import { instanceContainerSpec } from '../../src/serving/instance.ts';
import { randomSuffix } from '../../src/shared/index.ts';
import { get } from '../../test/serving/client.ts';
import { realEngine, startRig } from '../../test/serving/rig.ts';
import { PYTHON_APP, PYTHON_IMAGE, pct } from './common.ts';

const cycles = Number(process.argv[2] ?? 20);
const answers = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const r = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
      res.on('error', () => resolve(false));
    });
    r.on('error', () => resolve(false));
    r.setTimeout(2000, () => r.destroy());
    r.end();
  });

const owner = `bench-cold-${randomSuffix(6)}`;
/** The same container started directly on the engine, until it answers: the app's own start. */
async function direct(spec: Parameters<typeof instanceContainerSpec>[0], n: number): Promise<number> {
  const engine = realEngine();
  const info = await engine.info();
  const cs = instanceContainerSpec(spec, {
    name: `${owner}-${n}`,
    address: '127.1.255.254',
    labels: { [LABEL_MANAGED]: 'true', [LABEL_OWNER]: owner },
    networkMode: info.networkMode,
    hostLoopback: info.hostLoopbackAddress,
    hostsFile: undefined,
    metadataHost: undefined,
  });
  const t0 = performance.now();
  const id = await engine.create(cs);
  try {
    await engine.start(id);
    const port = (await engine.inspect(id)).hostPort!;
    while (!(await answers(port))) await new Promise((r) => setTimeout(r, 2));
    return performance.now() - t0;
  } finally {
    await engine.remove(id);
  }
}

const rig = await startRig({ idleTimeoutSeconds: 1 });
try {
  const { url, spec } = await rig.deploy('cold', {
    image: PYTHON_IMAGE,
    command: ['python3', '-c', PYTHON_APP],
    memoryBytes: 256 * 1024 * 1024,
  });
  const cold: number[] = [];
  const own: number[] = [];
  for (let i = 0; i < cycles; i++) {
    for (;;) {
      const c = rig.serving.instanceCounts(spec.name);
      if (c.ready + c.starting + c.draining === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = await get(url, rig.port, '/');
    if (r.status !== 200) throw new Error(`cold request failed: ${r.status} ${r.body}`);
    cold.push(r.ms);
    own.push(await direct(spec, i));
  }
  const launches = rig.serving
    .systemLogs(spec.name)
    .map((l) => /started in (\d+) ms(.*) and is serving/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .slice(1);
  const ms = launches.map((m) => Number(m[1]));
  const f = (xs: number[]): string => `p50 ${pct(xs, 50).toFixed(0)} ms, p95 ${pct(xs, 95).toFixed(0)} ms`;
  console.log(
    `cold start over ${cycles} scale-from-zero cycles (Python http.server app, Podman + slirp4netns)`,
  );
  console.log(`cold request via ingress    ${f(cold)}`);
  console.log(`app's own start (direct)    ${f(own)}  (engine create+start until GET / answers)`);
  console.log(`instance launch (serving)   ${f(ms)}`);
  for (const m of launches.slice(0, 3)) console.log(`  e.g. ${m[1]} ms${m[2]}`);
  console.log(
    `tarmac adds (p50 cold - p50 own start) = ${(pct(cold, 50) - pct(own, 50)).toFixed(0)} ms (target < 500 ms)`,
  );
} finally {
  await rig.dispose();
}
