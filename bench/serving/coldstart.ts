/**
 * bench/serving (b): cold start. 20 scale-from-zero cycles of the test app: each waits until the
 * revision has no instance (idle period 1 s), then times one request through the ingress. Also
 * reports the instances' own launch time (container create to startup probe passed) for comparison.
 *   npx tsx bench/serving/coldstart.ts [cycles=20]
 */
import { get } from '../../test/serving/client.ts';
import { startRig } from '../../test/serving/rig.ts';

const cycles = Number(process.argv[2] ?? 20);
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

const rig = await startRig({ idleTimeoutSeconds: 1 });
try {
  const { url, spec } = await rig.deploy('cold');
  const cold: number[] = [];
  for (let i = 0; i < cycles; i++) {
    for (;;) {
      const c = rig.serving.instanceCounts(spec.name);
      if (c.ready + c.starting + c.draining === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = await get(url, rig.port, '/');
    if (r.status !== 200) throw new Error(`cold request failed: ${r.status} ${r.body}`);
    cold.push(r.ms);
  }
  const launches = rig.serving
    .systemLogs(spec.name)
    .map((l) => /started in (\d+) ms/.exec(l)?.[1])
    .filter((x): x is string => x !== undefined)
    .map(Number)
    .slice(1);
  console.log(`cold start over ${cycles} scale-from-zero cycles (busybox httpd app, Podman + slirp4netns)`);
  console.log(`request latency  p50 ${pct(cold, 50).toFixed(0)} ms, p95 ${pct(cold, 95).toFixed(0)} ms`);
  console.log(
    `instance launch  p50 ${pct(launches, 50).toFixed(0)} ms, p95 ${pct(launches, 95).toFixed(0)} ms (create+start+probe)`,
  );
  console.log(`overhead above the launch (p50) = ${(pct(cold, 50) - pct(launches, 50)).toFixed(0)} ms`);
} finally {
  await rig.dispose();
}
