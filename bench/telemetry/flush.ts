/**
 * bench/telemetry: what one request log row costs at flush, per way of storing it (no engine needed).
 *   npx tsx bench/telemetry/flush.ts [rows=20000] [batch=1000]
 * "log_entries" is the LogStore's flush of request entries as JSON rows in log_entries (5 indexes,
 * AUTOINCREMENT); "json only" builds the same JSON without inserting; "lean" inserts columns into a
 * table with an INTEGER PRIMARY KEY and one index; "packed" writes one row per flushed batch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS, openDatabase } from '../../src/store/index.ts';
import { SystemClock } from '../../src/shared/index.ts';
import { RequestEntry, RequestLogTarget, Telemetry, type RequestFacts } from '../../src/telemetry/index.ts';

const rows = Number(process.argv[2] ?? 20_000);
const batch = Number(process.argv[3] ?? 1000);
const dir = mkdtempSync(join(tmpdir(), 'tarmac-bench-flush-'));
const target = new RequestLogTarget('p', 'bench', 'bench-00001-abc', 'us-central1');
const facts = (i: number): RequestFacts => ({
  revision: target.revision,
  service: target.service,
  method: 'GET',
  url: `http://bench.example/?i=${i}`,
  status: 200,
  latencyMs: 1.234 + (i % 7),
  responseSize: 3,
  requestSize: 0,
  protocol: 'HTTP/1.1',
  userAgent: 'wrk',
  remoteIp: '127.0.0.1',
  instanceId: 'bench-00001-abc-1a2b3c',
  waited: false,
  trace: undefined,
});
/** A request's fields as the lean and packed variants store them. */
const columns = (f: RequestFacts): unknown[] => [
  f.method,
  f.url,
  f.status,
  f.requestSize,
  f.responseSize,
  f.userAgent,
  f.remoteIp,
  f.latencyMs,
  f.protocol,
  f.trace ?? null,
  f.instanceId,
  f.waited ? 1 : 0,
];
const cpu = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
function report(name: string, fn: (start: number) => void): void {
  const t0 = cpu();
  for (let i = 0; i < rows; i += batch) fn(i);
  console.log(`${name.padEnd(28)} ${((cpu() - t0) / rows).toFixed(2)} us CPU per row`);
}

let n = 0;
const db0 = openDatabase(join(dir, 'a.db'));
const t = new Telemetry(db0, new SystemClock());
const viaStore = (s: number): void => {
  for (let i = 0; i < batch; i++) t.logs.writeRequest(target, facts(s + i), Date.now());
  t.logs.flush();
};
report('LogStore flush (packed)', viaStore);
report('LogStore flush (packed) (2)', viaStore);
// Before migration 603: every request entry a JSON row in log_entries (5 indexes, AUTOINCREMENT).
const dbOld = openDatabase(
  join(dir, 'old.db'),
  MIGRATIONS.filter((m) => m.id < 603),
);
const oldInsert = dbOld.prepare(
  'INSERT INTO log_entries (project, service, revision, ts, severity, log_name, entry, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
);
const viaRows = (s: number): void => {
  dbOld.transaction(() => {
    for (let i = 0; i < batch; i++) {
      const e = new RequestEntry(target, facts(s + i), Date.now());
      const json = e.json(`x${s + i}`);
      oldInsert.run('p', 'bench', target.revision, e.ts, 200, target.logName, json, json.length);
    }
  })();
};
report('log_entries JSON rows (before)', viaRows);
report('log_entries JSON rows (2)', viaRows);
report('json only', (s) => {
  for (let i = 0; i < batch; i++)
    n += new RequestEntry(target, facts(s + i), Date.now()).json(`x${i}`).length;
});
report('facts only', (s) => {
  for (let i = 0; i < batch; i++) n += facts(s + i).url.length;
});

const db1 = openDatabase(join(dir, 'b.db'));
db1.exec(`CREATE TABLE lean (id INTEGER PRIMARY KEY, revision TEXT, ts INTEGER, severity INTEGER,
  method TEXT, url TEXT, status INTEGER, req INTEGER, resp INTEGER, ua TEXT, ip TEXT, latency REAL,
  protocol TEXT, trace TEXT, instance TEXT, waited INTEGER);
  CREATE INDEX lean_rev_ts ON lean (revision, ts)`);
const ins = db1.prepare('INSERT INTO lean VALUES (NULL,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)');
report('lean table, 1 index', (s) => {
  db1.transaction(() => {
    for (let i = 0; i < batch; i++) {
      const f = facts(s + i);
      ins.run(f.revision, Date.now(), 200, ...columns(f));
    }
  })();
});

db1.exec(`CREATE TABLE packed (id INTEGER PRIMARY KEY, revision TEXT, min_ts INTEGER, max_ts INTEGER, data TEXT);
  CREATE INDEX packed_rev ON packed (revision, max_ts)`);
const pins = db1.prepare('INSERT INTO packed VALUES (NULL,?,?,?,?)');
let bytes = 0;
const packRows = (s: number): void => {
  const out: unknown[] = [];
  for (let i = 0; i < batch; i++) {
    const f = facts(s + i);
    out.push([i, Date.now(), ...columns(f)]);
  }
  const data = JSON.stringify(out);
  bytes += data.length;
  pins.run(target.revision, 0, 1, data);
};
report('packed, JSON array rows', packRows);
report('packed, JSON array rows (2)', packRows);
const dict = <T>(m: Map<T, number>, v: T): number => {
  let i = m.get(v);
  if (i === undefined) m.set(v, (i = m.size));
  return i;
};
bytes = 0;
const cols = (s: number): void => {
  const strs = new Map<string | undefined, number>();
  const ts: number[] = [],
    seq: number[] = [],
    url: string[] = [],
    st: number[] = [],
    lat: number[] = [];
  const sz: number[] = [],
    other: number[] = [];
  for (let i = 0; i < batch; i++) {
    const f = facts(s + i);
    seq.push(i);
    ts.push(Date.now());
    url.push(f.url);
    st.push(f.status);
    lat.push(f.latencyMs);
    sz.push(f.requestSize, f.responseSize);
    other.push(
      dict(strs, f.method),
      dict(strs, f.userAgent),
      dict(strs, f.remoteIp),
      dict(strs, f.protocol),
      dict(strs, f.trace),
      dict(strs, f.instanceId),
      f.waited ? 1 : 0,
    );
  }
  const data = JSON.stringify({ s: [...strs.keys()], seq, ts, url, st, lat, sz, other });
  bytes += data.length;
  pins.run(target.revision, 0, 1, data);
};
report('packed, columns + dict', cols);
report('packed, columns + dict (2)', cols);
console.log(`packed columns bytes per row ${(bytes / rows / 2).toFixed(0)}`);
console.log(`packed bytes per row ${(bytes / rows).toFixed(0)}; ${n > 0}`);
rmSync(dir, { recursive: true, force: true });
