/**
 * bench/serving: what request logging costs. One Python keep-alive app behind tarmac's ingress,
 * measured with wrk in alternating rounds with request logging off (TARMAC_REQUEST_LOGS=off: request
 * metrics only) and on (metrics + a Cloud Logging request entry per request into the LogStore's
 * buffer, flushed to SQLite every 250 ms, plus the instance's stdout capture), in one run.
 *   npx tsx bench/serving/logging.ts [seconds=8] [connections=32] [rounds=3]
 * Needs wrk (apt-get install wrk), the test engine and the bootstrapped python:3.11-slim image.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/store/index.ts';
import { SystemClock } from '../../src/shared/index.ts';
import { ServingHooks, Telemetry, type RequestFacts } from '../../src/telemetry/index.ts';
import type { Serving } from '../../src/serving/index.ts';
import { startRig } from '../../test/serving/rig.ts';
import { deployPythonApp, withCpu, wrk, type WrkResult } from './common.ts';

const seconds = Number(process.argv[2] ?? 8);
const connections = Number(process.argv[3] ?? 32);
const rounds = Number(process.argv[4] ?? 3);

const dir = mkdtempSync(join(tmpdir(), 'tarmac-bench-logging-'));
const telemetry = new Telemetry(openDatabase(join(dir, 'tarmac.db')), new SystemClock());
const ref: { serving?: Serving } = {};
const hooks = new ServingHooks(telemetry, (rev) => ref.serving?.revisionSpec(rev));
const off = hooks.requestHook(false);
const on = hooks.requestHook(true);
let current = off;
const rig = await startRig({
  onSystemLog: hooks.systemLog,
  onRequest: (r: RequestFacts) => current(r),
  observer: hooks,
});
ref.serving = rig.serving;
try {
  const { url } = await deployPythonApp(rig, 'bench');
  const host = new URL(url).host;
  const target = `http://127.0.0.1:${rig.port}/`;
  await wrk(target, { host, seconds: 2, connections }); // warm up
  const results: Record<'off' | 'on', WrkResult[]> = { off: [], on: [] };
  const cpu: Record<'off' | 'on', string[]> = { off: [], on: [] };
  for (let i = 0; i < rounds; i++) {
    for (const mode of i % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
      current = mode === 'on' ? on : off;
      const m = await withCpu([], () => wrk(target, { host, seconds, connections }));
      results[mode].push(m.result);
      cpu[mode].push(m.cpu.replace('tarmac ', ''));
      telemetry.logs.flush(); // the round's last entries are written before the next round starts
    }
  }
  const mean = (rs: WrkResult[]): number => rs.reduce((n, r) => n + r.rps, 0) / rs.length;
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const pairs = results.on.map((r, i) => r.rps / results.off[i]!.rps);
  const entries = telemetry.logs.list({ filter: 'logName:"requests"', pageSize: 1 }).entries.length;
  console.log(
    `wrk -t2 -c${connections} -d${seconds}s x ${rounds} rounds each, alternating, Python keep-alive app`,
  );
  for (const mode of ['off', 'on'] as const) {
    const rps = results[mode].map((r) => r.rps.toFixed(0)).join(', ');
    const p50 = median(results[mode].map((r) => r.p50)).toFixed(2);
    console.log(
      `logging ${mode.padEnd(3)}: mean ${mean(results[mode]).toFixed(0)} req/s (${rps}), median p50 ${p50} ms, ` +
        `tarmac CPU per request (${cpu[mode].join(', ')})`,
    );
  }
  console.log(
    `ratio on/off throughput, means = ${(mean(results.on) / mean(results.off)).toFixed(3)} (target >= 0.95)`,
  );
  console.log(
    `ratio on/off throughput, per adjacent pair = ${pairs.map((x) => x.toFixed(3)).join(', ')}; median ${median(pairs).toFixed(3)}`,
  );
  console.log(
    `request entries written: ${entries > 0 ? 'yes' : 'NO'}; dropped by the bounded buffer: ${telemetry.logs.dropped}`,
  );
} finally {
  await rig.dispose();
  telemetry.dispose();
  rmSync(dir, { recursive: true, force: true });
}
