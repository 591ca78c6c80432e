// bench/scheduler: N jobs due every minute against a local HTTP target on 127.0.0.1. Reports, per
// minute, three latenesses against the schedule time (all jobs of a minute share it), p50/p99/max:
//   start   = the attempt's recorded start (history start_time: the scheduler begins the attempt)
//   written = the request's headers written to a socket (undici's diagnostics channel, this process)
//   arrival = the target process received the request (its own clock read; same host clock)
// and the scheduler process's CPU (the target runs in its own process, so its CPU is not counted).
// `written` is the scheduler's own lateness; `arrival` adds the target's queueing (one Node process
// serving 10,000 requests at once cannot take them all within 100 ms on its own).
// Usage: npx tsx bench/scheduler/run.ts [--jobs=10000] [--minutes=2] [--connections=256]
import { fork } from 'node:child_process';
import { subscribe } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
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

type Msg = { port?: number; late?: number[]; cpu?: NodeJS.CpuUsage };
const child = fork(join(import.meta.dirname, 'target.ts'), [], { execArgv: ['--import', 'tsx'] });
const next = (): Promise<Msg> => new Promise((r) => child.once('message', (m) => r(m as Msg)));
const { port } = await next();

// Every request written by the scheduler's HTTP client, with the wall-clock time it was written.
const written: number[] = [];
subscribe('undici:client:sendHeaders', () => written.push(Date.now()));

const dir = mkdtempSync(join(tmpdir(), 'tarmac-bench-sched-'));
const db = openDatabase(join(dir, 'tarmac.db'));
const clock = new SystemClock();
const s = new Scheduler({ db, clock, logger: silentLogger(), connections: CONNECTIONS, drainMs: 5000 });
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

const firstDue = Math.floor(Date.now() / 60_000) * 60_000 + 60_000;
for (let m = 0; m < MINUTES; m++) {
  const due = firstDue + m * 60_000;
  await new Promise((r) => setTimeout(r, due - Date.now() - 1000));
  const cpu0 = process.cpuUsage();
  const wall0 = Date.now();
  written.length = 0;
  // Wait for every run of this minute to be recorded (or 50 s).
  while (Date.now() - due < 50_000) {
    await new Promise((r) => setTimeout(r, 250));
    const n = db
      .prepare('SELECT COUNT(*) AS n FROM scheduler_executions WHERE schedule_time = ?')
      .get(due) as { n: number };
    if (n.n >= JOBS) break;
  }
  const cpu = process.cpuUsage(cpu0);
  const rows = db
    .prepare(
      'SELECT start_time - schedule_time AS l, end_time FROM scheduler_executions WHERE schedule_time = ?',
    )
    .all(due) as { l: number; end_time: number }[];
  child.send({ cmd: 'drain' });
  const { late } = await next();
  const failed = (
    db
      .prepare("SELECT COUNT(*) AS n FROM scheduler_executions WHERE schedule_time = ? AND code != 'OK'")
      .get(due) as { n: number }
  ).n;
  const lastEnd = Math.max(...rows.map((r) => r.end_time)) - due;
  console.log(
    `minute ${m + 1} (${new Date(due).toISOString()}): ${rows.length} runs, ${failed} failed, all done ${lastEnd} ms after due`,
  );
  console.log(`  start lateness:    ${fmt(rows.map((r) => r.l))}`);
  console.log(`  written lateness:  ${fmt(written.splice(0).map((t) => t - due))}`);
  console.log(`  arrival lateness:  ${fmt(late ?? [])}`);
  console.log(
    `  scheduler CPU: ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms over ${Date.now() - wall0} ms wall (${(((cpu.user + cpu.system) / 1000 / 60_000) * 100).toFixed(2)} % of one core per minute)`,
  );
}
await s.dispose();
db.close();
child.send({ cmd: 'exit' });
rmSync(dir, { recursive: true, force: true });
