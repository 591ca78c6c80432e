/**
 * bench/serving (a): proxy overhead. Requests/s and p50/p99 latency to the same container through
 * tarmac's ingress, directly on its published 127.0.0.1 port, and through Debian's nginx as a
 * reverse proxy (keep-alive upstream), with wrk, in one run; also `port`, the ingress connecting
 * through the published port only (dialInNamespace false: a second rig and instance). `rounds` > 1
 * alternates the paths and reports the median round. Also the CPU per request of each process on
 * the path. Then the latency at light load (one connection, requests back to back: what "added
 * latency" usually means) for `lightSeconds` per path and round, alternating too, median p50.
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
type Path = 'direct' | 'ingress' | 'port' | 'nginx';

const rig = await startRig({});
// The same ingress connecting through the published port only (as before NetnsDialer), for scale.
const portRig = await startRig({ dialInNamespace: false });
const dir = mkdtempSync(join(tmpdir(), 'tarmac-bench-nginx-'));
try {
  const { url, spec } = await deployPythonApp(rig, 'bench');
  const viaPort = await deployPythonApp(portRig, 'bench-port');
  const upstream = await rig.hostPort(spec.name);
  const nginx = await startNginx(dir, upstream);
  const host = new URL(url).host;
  const targets: Record<Path, [string, string | undefined]> = {
    direct: [`http://127.0.0.1:${upstream}/`, undefined],
    ingress: [`http://127.0.0.1:${rig.port}/`, host],
    port: [`http://127.0.0.1:${portRig.port}/`, new URL(viaPort.url).host],
    nginx: [`http://127.0.0.1:${nginx.port}/`, host],
  };
  const runs: Record<Path, { r: WrkResult; cpu: string }[]> = {
    direct: [],
    ingress: [],
    port: [],
    nginx: [],
  };
  const light: Record<Path, WrkResult[]> = { direct: [], ingress: [], port: [], nginx: [] };
  let conns = { total: 0, dialed: 0 };
  try {
    // Warm every path once, then measure back to back.
    for (const [u, h] of Object.values(targets)) await wrk(u, { host: h, seconds: 2, connections });
    const order: Path[] = ['direct', 'ingress', 'port', 'nginx'];
    for (let i = 0; i < rounds; i++) {
      for (const path of i % 2 === 0 ? order : [...order].reverse()) {
        const [u, h] = targets[path];
        const { result, cpu } = await withCpu(PROCESSES, () => wrk(u, { host: h, seconds, connections }));
        runs[path].push({ r: result, cpu });
        if (path === 'ingress') conns = rig.serving.upstreamConnections(spec.name);
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
  const [direct, ingress, port, viaNginx] = [med('direct'), med('ingress'), med('port'), med('nginx')];
  console.log(
    `wrk -t2 -c${connections} -d${seconds}s x ${rounds} round(s), upstream Python ThreadingHTTPServer, HTTP/1.1 keep-alive`,
  );
  for (const [name, m] of [
    ['direct ', direct],
    ['ingress', ingress],
    ['port   ', port],
    ['nginx  ', viaNginx],
  ] as const) {
    const all = runs[name.trim() as Path].map((x) => x.r.rps.toFixed(0)).join(', ');
    console.log(`${name}: ${formatWrk(m.r)}  [rounds ${all}]  cpu/request: ${m.cpu}`);
  }
  const ratio = (a: WrkResult, b: WrkResult): string => (a.rps / b.rps).toFixed(2);
  console.log(`ratio ingress/direct throughput = ${ratio(ingress.r, direct.r)} (target >= 0.6)`);
  console.log(`ratio ingress/nginx  throughput = ${ratio(ingress.r, viaNginx.r)} (target >= 1.0)`);
  console.log(
    `ingress connections after its last round: ${conns.dialed} of ${conns.total} dialed inside the instance's namespace; ` +
      `"port" is the same ingress through the published port only: port/nginx = ${ratio(port.r, viaNginx.r)}, port/direct = ${ratio(port.r, direct.r)}`,
  );
  console.log(
    `added p50 latency vs direct = ${(ingress.r.p50 - direct.r.p50).toFixed(2)} ms (target < 0.5 ms)`,
  );
  console.log(`added p50 latency of nginx vs direct = ${(viaNginx.r.p50 - direct.r.p50).toFixed(2)} ms`);
  if (lightSeconds > 0) {
    const p50 = (p: Path) => [...light[p]].map((r) => r.p50).sort((a, b) => a - b)[Math.floor(rounds / 2)]!;
    const [d, i, o, n] = [p50('direct'), p50('ingress'), p50('port'), p50('nginx')];
    const us = (ms: number) => `${(ms * 1000).toFixed(0)} us`;
    console.log(
      `light load (wrk -t1 -c1 -d${lightSeconds}s x ${rounds}, median p50): direct ${us(d)}, ingress ${us(i)}, port ${us(o)}, nginx ${us(n)}`,
    );
    console.log(
      `light-load added p50: ingress ${us(i - d)} (target < 500 us), port ${us(o - d)}, nginx ${us(n - d)}`,
    );
  }
} finally {
  await rig.dispose();
  await portRig.dispose();
  rmSync(dir, { recursive: true, force: true });
}
