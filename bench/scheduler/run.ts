// bench/scheduler: N jobs due every minute against a local HTTP target on 127.0.0.1. Reports, per
// minute, three latenesses against the schedule time (all jobs of a minute share it), p50/p99/max:
//   dispatch = the attempt's recorded start (history start_time): the scheduler sends the prepared
//              request, i.e. hands it to its HTTP connection pool. The scheduler's own lateness, the
//              one the 100 ms target is about.
//   written  = the request's headers written to a socket (undici's diagnostics channel): adds the
//              wait for a free pooled connection (at most --connections per origin, keep-alive).
//   arrival  = the target process read the request (its own clock; same host clock): adds the
//              target's own queueing. One Node process cannot take 10,000 requests in 100 ms, so this
//              measures the target as much as the scheduler.
// and the CPU of both processes over the minute's whole work (claim, prepare, send, record): from
// 5 s before the due time until every outcome is written.
// Usage: npx tsx bench/scheduler/run.ts [--jobs=10000] [--minutes=2] [--connections=256]
import { fork } from 'node:child_process';
import { subscribe } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Scheduler } from '../../src/scheduler/index.ts';
import { SystemClock, silentLogger } from '../../src/shared/index.ts';
import { openDatabase } from '../../src/store/index.ts';

const arg = (k: string, d: number): number =>
  Number(process.argv.find((a) => a.startsWith(`--${k}=`))?.split('=')[1] ?? d);
const JOBS = arg('jobs', 10_000);
const MINUTES = Math.min(arg('minutes', 2), 5);
const CONNECTIONS = arg('connections', 256);
const PARENT = 'projects/bench/locations/us-central1';

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};
const fmt = (xs: number[]): string =>
  `p50 ${pct(xs, 50).toFixed(1)} ms  p99 ${pct(xs, 99).toFixed(1)} ms  max ${pct(xs, 100).toFixed(1)} ms  (n=${xs.length})`;
const ms = (c: NodeJS.CpuUsage): number => (c.user + c.system) / 1000;

type Msg = { port?: number; late?: number[]; cpu?: NodeJS.CpuUsage };
const child = fork(join(import.meta.dirname, 'target.ts'), [], { execArgv: ['--import', 'tsx'] });
const next = (): Promise<Msg> => new Promise((r) => child.once('message', (m) => r(m as Msg)));
const { port } = await next();

// Garbage collection pauses in the scheduler process (they stall sending as much as any code).
const gcs: { at: number; ms: number }[] = [];
new PerformanceObserver((l) => {
  for (const e of l.getEntries()) gcs.push({ at: performance.timeOrigin + e.startTime, ms: e.duration });
}).observe({ entryTypes: ['gc'] });

// Every request written by the scheduler's HTTP client, with the wall-clock time it was written.
const written: number[] = [];
subscribe('undici:client:sendHeaders', () => written.push(Date.now()));

const dir = mkdtempSync(join(tmpdir(), 'tarmac-bench-sched-'));
const db = openDatabase(join(dir, 'tarmac.db'));
const clock = new SystemClock();
let finished = 0;
const s = new Scheduler({
  db,
  clock,
  logger: silentLogger(),
  connections: CONNECTIONS,
  drainMs: 5000,
  onAttempt: () => void finished++,
});
const t0 = Date.now();
for (let i = 0; i < JOBS; i++) {
  await s.create(
    PARENT,
    {
      name: `${PARENT}/jobs/j${i}`,
      schedule: '* * * * *',
      httpTarget: { uri: `http://127.0.0.1:${port}/tick` },
    },
    async () => undefined,
  );
}
console.log(`created ${JOBS} jobs in ${Date.now() - t0} ms; connections per origin ${CONNECTIONS}`);
s.start();

let firstDue = Math.ceil(Date.now() / 60_000) * 60_000;
if (firstDue - Date.now() < 6000) firstDue += 60_000;
for (let m = 0; m < MINUTES; m++) {
  const due = firstDue + m * 60_000;
  await new Promise((r) => setTimeout(r, due - Date.now() - 5000));
  child.send({ cmd: 'drain' });
  const targetCpu0 = (await next()).cpu!;
  const cpu0 = process.cpuUsage();
  written.length = 0;
  finished = 0;
  // Wait for every run of this minute to finish and be written (or 50 s).
  while (finished < JOBS && Date.now() - due < 50_000) await new Promise((r) => setTimeout(r, 100));
  await s.loop.idle();
  const cpu = ms(process.cpuUsage(cpu0));
  const rows = db
    .prepare(
      'SELECT start_time - schedule_time AS l, end_time FROM scheduler_executions WHERE schedule_time = ?',
    )
    .all(due) as { l: number; end_time: number }[];
  child.send({ cmd: 'drain' });
  const { late, cpu: targetCpu1 } = await next();
  const targetCpu = ms(targetCpu1!) - ms(targetCpu0);
  const failed = (
    db
      .prepare("SELECT COUNT(*) AS n FROM scheduler_executions WHERE schedule_time = ? AND code != 'OK'")
      .get(due) as { n: number }
  ).n;
  const lastEnd = Math.max(...rows.map((r) => r.end_time)) - due;
  console.log(
    `minute ${m + 1} (${new Date(due).toISOString()}): ${rows.length} runs, ${failed} failed, all answered ${lastEnd} ms after due`,
  );
  console.log(`  dispatch lateness (scheduler sends, history startTime): ${fmt(rows.map((r) => r.l))}`);
  console.log(
    `  written lateness  (headers on a pooled socket):        ${fmt(written.splice(0).map((t) => t - due))}`,
  );
  console.log(`  arrival lateness  (target process read it):            ${fmt(late ?? [])}`);
  const gc = gcs.splice(0).filter((g) => g.at >= due - 5000);
  const gcAfterDue = gc.filter((g) => g.at >= due);
  console.log(
    `  GC pauses: ${gc.length}, ${gc.reduce((a, g) => a + g.ms, 0).toFixed(0)} ms in all; after the due time ${gcAfterDue.reduce((a, g) => a + g.ms, 0).toFixed(0)} ms, longest ${Math.max(0, ...gcAfterDue.map((g) => g.ms)).toFixed(0)} ms`,
  );
  console.log(
    `  CPU for the minute's runs: scheduler ${cpu.toFixed(0)} ms, target ${targetCpu.toFixed(0)} ms (from 5 s before due until all written)`,
  );
}
await s.dispose();
db.close();
child.send({ cmd: 'exit' });
rmSync(dir, { recursive: true, force: true });
