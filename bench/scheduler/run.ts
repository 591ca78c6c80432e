// bench/scheduler: N jobs due every minute against a local HTTP target on 127.0.0.1. Reports lateness
// (dispatch = attempt start - schedule time; arrival = target receive time - schedule time) p50/p99/max
// per minute and the scheduler process's CPU. Usage: npx tsx bench/scheduler/run.ts [--jobs=10000] [--minutes=2]
import { fork } from 'node:child_process';
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
  console.log(`  dispatch lateness: ${fmt(rows.map((r) => r.l))}`);
  console.log(`  arrival lateness:  ${fmt(late ?? [])}`);
  console.log(
    `  scheduler CPU: ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms over ${Date.now() - wall0} ms wall (${(((cpu.user + cpu.system) / 1000 / 60_000) * 100).toFixed(2)} % of one core per minute)`,
  );
}
await s.dispose();
db.close();
child.send({ cmd: 'exit' });
rmSync(dir, { recursive: true, force: true });
