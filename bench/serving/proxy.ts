/**
 * bench/serving (a): proxy overhead. Requests/s and p50/p99 latency to the same container through
 * tarmac's ingress, directly on its published 127.0.0.1 port, and through Debian's nginx as a
 * reverse proxy (keep-alive upstream), with wrk, in one run; `rounds` > 1 alternates the three
 * paths and reports the median round. Also the CPU per request of each process on the path. Then
 * the latency at light load (one connection, requests back to back: what "added latency" usually
 * means) for `lightSeconds` per path and round, alternating too, median p50 of the rounds.
 *   npx tsx bench/serving/proxy.ts [seconds=10] [connections=32] [rounds=1] [lightSeconds=5]
 * Needs wrk and nginx (apt-get install wrk nginx-light), the test engine and the bootstrapped
 * python:3.11-slim image.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRig } from '../../test/serving/rig.ts';
import { deployPythonApp, formatWrk, startNginx, withCpu, wrk, type WrkResult } from './common.ts';

const seconds = Number(process.argv[2] ?? 10);
const connections = Number(process.argv[3] ?? 32);
const rounds = Number(process.argv[4] ?? 1);
const lightSeconds = Number(process.argv[5] ?? 5);
const PROCESSES = ['python3', 'slirp4netns', 'nginx'];
type Path = 'direct' | 'ingress' | 'nginx';

const rig = await startRig({});
const dir = mkdtempSync(join(tmpdir(), 'tarmac-bench-nginx-'));
try {
  const { url, spec } = await deployPythonApp(rig, 'bench');
  const upstream = await rig.hostPort(spec.name);
  const nginx = await startNginx(dir, upstream);
  const host = new URL(url).host;
  const targets: Record<Path, [string, string | undefined]> = {
    direct: [`http://127.0.0.1:${upstream}/`, undefined],
    ingress: [`http://127.0.0.1:${rig.port}/`, host],
    nginx: [`http://127.0.0.1:${nginx.port}/`, host],
  };
  const runs: Record<Path, { r: WrkResult; cpu: string }[]> = { direct: [], ingress: [], nginx: [] };
  const light: Record<Path, WrkResult[]> = { direct: [], ingress: [], nginx: [] };
  try {
    // Warm every path once, then measure back to back.
    for (const [u, h] of Object.values(targets)) await wrk(u, { host: h, seconds: 2, connections });
    const order: Path[] = ['direct', 'ingress', 'nginx'];
    for (let i = 0; i < rounds; i++) {
      for (const path of i % 2 === 0 ? order : [...order].reverse()) {
        const [u, h] = targets[path];
        const { result, cpu } = await withCpu(PROCESSES, () => wrk(u, { host: h, seconds, connections }));
        runs[path].push({ r: result, cpu });
      }
    }
    for (let i = 0; lightSeconds > 0 && i < rounds; i++) {
      for (const path of i % 2 === 0 ? order : [...order].reverse()) {
        const [u, h] = targets[path];
        light[path].push(await wrk(u, { host: h, seconds: lightSeconds, connections: 1, threads: 1 }));
      }
    }
  } finally {
    nginx.stop();
  }
  // The median round of each path by throughput.
  const med = (p: Path) => [...runs[p]].sort((a, b) => a.r.rps - b.r.rps)[Math.floor(rounds / 2)]!;
  const [direct, ingress, viaNginx] = [med('direct'), med('ingress'), med('nginx')];
  console.log(
    `wrk -t2 -c${connections} -d${seconds}s x ${rounds} round(s), upstream Python ThreadingHTTPServer, HTTP/1.1 keep-alive`,
  );
  for (const [name, m] of [
    ['direct ', direct],
    ['ingress', ingress],
    ['nginx  ', viaNginx],
  ] as const) {
    const all = runs[name.trim() as Path].map((x) => x.r.rps.toFixed(0)).join(', ');
    console.log(`${name}: ${formatWrk(m.r)}  [rounds ${all}]  cpu/request: ${m.cpu}`);
  }
  const ratio = (a: WrkResult, b: WrkResult): string => (a.rps / b.rps).toFixed(2);
  console.log(`ratio ingress/direct throughput = ${ratio(ingress.r, direct.r)} (target >= 0.6)`);
  console.log(`ratio ingress/nginx  throughput = ${ratio(ingress.r, viaNginx.r)} (target >= 1.0)`);
  console.log(
    `added p50 latency vs direct = ${(ingress.r.p50 - direct.r.p50).toFixed(2)} ms (target < 0.5 ms)`,
  );
  console.log(`added p50 latency of nginx vs direct = ${(viaNginx.r.p50 - direct.r.p50).toFixed(2)} ms`);
  if (lightSeconds > 0) {
    const p50 = (p: Path) => [...light[p]].map((r) => r.p50).sort((a, b) => a - b)[Math.floor(rounds / 2)]!;
    const [d, i, n] = [p50('direct'), p50('ingress'), p50('nginx')];
    const us = (ms: number) => `${(ms * 1000).toFixed(0)} us`;
    console.log(
      `light load (wrk -t1 -c1 -d${lightSeconds}s x ${rounds}, median p50): direct ${us(d)}, ingress ${us(i)}, nginx ${us(n)}`,
    );
    console.log(`light-load added p50: ingress ${us(i - d)} (target < 500 us), nginx ${us(n - d)}`);
  }
} finally {
  await rig.dispose();
  rmSync(dir, { recursive: true, force: true });
}
