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
import { PYTHON_APP, PYTHON_IMAGE, wrk, type WrkResult } from './wrk.ts';

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
  const { url } = await rig.deploy('bench', {
    image: PYTHON_IMAGE,
    command: ['python3', '-c', PYTHON_APP],
    concurrency: 1000,
    minInstances: 1,
    maxInstances: 1,
    memoryBytes: 256 * 1024 * 1024,
  });
  const host = new URL(url).host;
  const target = `http://127.0.0.1:${rig.port}/`;
  await wrk(target, { host, seconds: 2, connections }); // warm up
  const results: Record<'off' | 'on', WrkResult[]> = { off: [], on: [] };
  for (let i = 0; i < rounds; i++) {
    for (const mode of i % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
      current = mode === 'on' ? on : off;
      results[mode].push(await wrk(target, { host, seconds, connections }));
    }
  }
  telemetry.logs.flush();
  const sum = (rs: WrkResult[]): number => rs.reduce((n, r) => n + r.rps, 0) / rs.length;
  const med = (rs: WrkResult[]): number =>
    [...rs].sort((a, b) => a.p50 - b.p50)[Math.floor(rs.length / 2)]!.p50;
  const entries = telemetry.logs.list({ filter: 'logName:"requests"', pageSize: 1 }).entries.length;
  console.log(
    `wrk -t2 -c${connections} -d${seconds}s x ${rounds} rounds each, alternating, Python keep-alive app`,
  );
  for (const mode of ['off', 'on'] as const) {
    const rps = results[mode].map((r) => r.rps.toFixed(0)).join(', ');
    console.log(
      `logging ${mode.padEnd(3)}: mean ${sum(results[mode]).toFixed(0)} req/s (${rps}), median p50 ${med(results[mode]).toFixed(2)} ms`,
    );
  }
  console.log(
    `ratio on/off throughput = ${(sum(results.on) / sum(results.off)).toFixed(3)} (target >= 0.95)`,
  );
  console.log(
    `request entries written: ${entries > 0 ? 'yes' : 'NO'}; dropped by the bounded buffer: ${telemetry.logs.dropped}`,
  );
} finally {
  await rig.dispose();
  telemetry.dispose();
  rmSync(dir, { recursive: true, force: true });
}
