import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate, openDatabase, type Db } from '../store/index.ts';
import { FakeClock } from '../shared/index.ts';
import type { LogEntry } from './entry.ts';
import { RequestEntry, RequestLogTarget, type RequestFacts } from './request-entry.ts';
import { Telemetry } from './telemetry.ts';
import { requestFacts } from './test-fixture.ts';

const target = (revision: string, service = 'hello') =>
  new RequestLogTarget('p', service, revision, 'us-central1');
const facts = (over: Partial<RequestFacts> = {}): RequestFacts =>
  requestFacts({ revision: 'hello-1', latencyMs: 12.345678, waited: false, trace: undefined, ...over });

function setup(opts = {}, db: Db = openDatabase(':memory:')) {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  return { clock, db, t: new Telemetry(db, clock, opts) };
}

const count = (db: Db, table: string): number =>
  (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

/** Every entry matching, page by page. */
function allPages(t: Telemetry, filter: string | undefined, pageSize: number, orderBy?: string): LogEntry[] {
  const out: LogEntry[] = [];
  let pageToken: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const page = t.logs.list({ filter, pageSize, pageToken, orderBy });
    out.push(...page.entries);
    pageToken = page.nextPageToken;
    if (!pageToken) return out;
  }
  throw new Error('pages never ended');
}

const label = (e: LogEntry): string => e.textPayload ?? e.httpRequest?.requestUrl ?? '?';

describe('request logs packed per flush', () => {
  it('store one row per revision and flush, and read back exactly what was formatted', () => {
    const { db, t, clock } = setup();
    const a = target('hello-1');
    const written: RequestEntry[] = [];
    const variants: Partial<RequestFacts>[] = [
      {},
      { status: 503, userAgent: undefined, waited: true, trace: '0af7651916cd43dd8448eb211c80319c/7;o=1' },
      { status: 404, method: 'POST', requestSize: 17, instanceId: undefined, url: '/ü/\u0000' },
    ];
    for (const v of variants) {
      const e = new RequestEntry(a, facts(v), clock.now());
      written.push(e);
      t.logs.writeDeferred(e);
      clock.advance(5);
    }
    t.logs.writeDeferred(new RequestEntry(target('other-1', 'other'), facts(), clock.now()));
    t.logs.flush();
    expect(count(db, 'request_batches')).toBe(2);
    expect(count(db, 'log_entries')).toBe(0);
    const got = t.logs.list({
      filter: 'resource.labels.service_name=hello',
      orderBy: 'timestamp asc',
    }).entries;
    // Same fields, same order: what a reader gets is what the JSON form (tail, old rows) says.
    expect(got.map((e) => JSON.stringify(e))).toEqual(written.map((e, i) => e.json(got[i]!.insertId)));
    expect(new Set(got.map((e) => e.insertId)).size).toBe(3);
    expect(got.map((e) => e.severity)).toEqual(['INFO', 'ERROR', 'WARNING']);
    t.dispose();
  });

  it('share the bounded buffer with other entries: beyond it they are dropped and counted', () => {
    const { t, clock } = setup({ maxBuffered: 3 });
    t.containerLine({ project: 'p', service: 'hello', revision: 'hello-1', location: 'x' }, 'stdout', 'l');
    for (let i = 0; i < 4; i++) t.logs.writeRequest(target('hello-1'), facts(), clock.now());
    expect(t.logs.dropped).toBe(2);
    expect(t.logs.list().entries).toHaveLength(3);
    t.dispose();
  });

  it('tail sees the same entry, insertId included, that list returns later', () => {
    const { t, clock } = setup();
    const seen: LogEntry[] = [];
    const stop = t.logs.tail('logName:"requests"', (e) => seen.push(e));
    t.logs.writeDeferred(new RequestEntry(target('hello-1'), facts(), clock.now()));
    stop();
    expect(t.logs.list().entries).toEqual(seen);
    t.dispose();
  });

  it('merge with container and system entries in timestamp order, page by page in both directions', () => {
    const { t, clock } = setup();
    const rev = { project: 'p', service: 'hello', revision: 'hello-1', location: 'us-central1' };
    const expected: string[] = [];
    for (let i = 0; i < 23; i++) {
      if (i % 3 === 0) t.containerLine(rev, 'stdout', `line ${i}`);
      else t.logs.writeDeferred(new RequestEntry(target('hello-1'), facts({ url: `/r${i}` }), clock.now()));
      expected.push(i % 3 === 0 ? `line ${i}` : `/r${i}`);
      // Same-millisecond neighbours and flushes in between: ties and many batches.
      if (i % 2) clock.advance(1);
      if (i % 5 === 4) t.logs.flush();
    }
    clock.advance(1);
    t.systemEvent(rev, 'INFO', 'late system line');
    expected.push('late system line');
    // Timestamp order; entries of the same millisecond in a fixed order (stable page tokens).
    const asc = allPages(t, undefined, 1000, 'timestamp asc');
    expect(asc.map(label).sort()).toEqual([...expected].sort());
    const times = asc.map((e) => Date.parse(e.timestamp));
    expect(times).toEqual([...times].sort((x, y) => x - y));
    for (const size of [1, 2, 5, 7, 50]) {
      expect(allPages(t, undefined, size, 'timestamp asc')).toEqual(asc);
      const desc = allPages(t, 'resource.labels.revision_name=hello-1', size);
      expect(desc).toEqual([...asc].reverse());
    }
    expect(label(asc.at(-1)!)).toBe('late system line');
    t.dispose();
  });

  it('filter by service, revision, severity and timestamp', () => {
    const { t, clock } = setup();
    const start = clock.now();
    for (let i = 0; i < 10; i++) {
      const status = i === 3 ? 500 : i === 6 ? 404 : 200;
      const tg = i % 2 ? target('hello-1') : target('other-1', 'other');
      t.logs.writeDeferred(new RequestEntry(tg, facts({ url: `/${i}`, status }), clock.now()));
      clock.advance(1000);
      if (i % 4 === 0) t.logs.flush();
    }
    const urls = (filter: string): string[] => allPages(t, filter, 3).map(label);
    expect(urls('resource.labels.service_name=hello')).toEqual(['/9', '/7', '/5', '/3', '/1']);
    expect(urls('resource.labels.revision_name="other-1"')).toEqual(['/8', '/6', '/4', '/2', '/0']);
    expect(urls('severity>=WARNING')).toEqual(['/6', '/3']);
    expect(urls('severity=ERROR')).toEqual(['/3']);
    const from = new Date(start + 4000).toISOString();
    const to = new Date(start + 7000).toISOString();
    expect(urls(`timestamp>="${from}" AND timestamp<"${to}"`)).toEqual(['/6', '/5', '/4']);
    expect(urls(`timestamp>"${from}" resource.labels.service_name=hello`)).toEqual(['/9', '/7', '/5']);
    expect(urls('logName:"stdout"')).toEqual([]);
    expect(urls('httpRequest.status=404 OR logName:"stdout"')).toEqual(['/6']);
    t.dispose();
  });

  it('count toward retention: age expiry and the byte budget remove the oldest, across both kinds', () => {
    const { t, db, clock } = setup({ maxAgeMs: 60_000, maxBytesPerRevision: 20_000 });
    const rev = { project: 'p', service: 'hello', revision: 'hello-1', location: 'us-central1' };
    for (let i = 0; i < 200; i++) {
      t.logs.writeDeferred(new RequestEntry(target('hello-1'), facts({ url: `/${i}` }), clock.now()));
      if (i % 20 === 0) t.containerLine(rev, 'stdout', `line ${i} ${'x'.repeat(200)}`);
      clock.advance(100);
      if (i % 10 === 9) t.logs.flush();
    }
    const before = t.logs.usage('hello-1');
    expect(before.entries).toBe(210);
    t.logs.sweep();
    const after = t.logs.usage('hello-1');
    expect(after.bytes).toBeLessThanOrEqual(18_000);
    const stored = db
      .prepare(
        `SELECT (SELECT COALESCE(SUM(bytes), 0) FROM log_entries) + (SELECT COALESCE(SUM(bytes), 0) FROM request_batches) AS bytes,
                (SELECT COUNT(*) FROM log_entries) + (SELECT COALESCE(SUM(count), 0) FROM request_batches) AS entries`,
      )
      .get();
    expect(after).toEqual(stored);
    const kept = allPages(t, undefined, 1000, 'timestamp asc').map(label);
    expect(kept.length).toBe(after.entries);
    expect(kept.at(-1)).toBe('/199');
    // Oldest first: what is left is a suffix of what was written.
    expect(Number(kept.find((k) => k.startsWith('/'))!.slice(1))).toBeGreaterThan(0);
    clock.advance(120_000);
    t.logs.sweep();
    expect(t.logs.usage('hello-1')).toEqual({ bytes: 0, entries: 0 });
    expect(count(db, 'request_batches') + count(db, 'log_entries')).toBe(0);
    t.dispose();
  });

  it('survive a restart (a new store on the same database file)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tarmac-batches-'));
    try {
      const file = join(dir, 'tarmac.db');
      const first = setup({}, openDatabase(file));
      first.t.logs.writeDeferred(new RequestEntry(target('hello-1'), facts(), first.clock.now()));
      first.t.dispose();
      first.db.close();
      const second = setup({}, openDatabase(file));
      expect(second.t.logs.list().entries.map(label)).toEqual(['/a?b="c"\n']);
      second.t.dispose();
      second.db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an older database keeps its request rows in log_entries, read merged with packed ones (migration 603)', () => {
    const db = openDatabase(
      ':memory:',
      MIGRATIONS.filter((m) => m.id < 603),
    );
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const old = new RequestEntry(target('hello-1'), facts({ url: '/old' }), clock.now());
    const json = old.json('old0');
    db.prepare(
      `INSERT INTO log_entries (project, service, revision, ts, severity, log_name, entry, bytes)
       VALUES ('p', 'hello', 'hello-1', ?, 200, ?, ?, ?)`,
    ).run(old.ts, old.target.logName, json, json.length);
    db.prepare("INSERT INTO log_usage (revision, bytes, entries) VALUES ('hello-1', ?, 1)").run(json.length);
    migrate(db, MIGRATIONS);
    const t = new Telemetry(db, clock);
    clock.advance(10);
    t.logs.writeDeferred(new RequestEntry(target('hello-1'), facts({ url: '/new' }), clock.now()));
    const page = t.logs.list({ filter: 'resource.labels.service_name=hello', pageSize: 1 });
    expect(page.entries.map(label)).toEqual(['/new']);
    const rest = t.logs.list({
      filter: 'resource.labels.service_name=hello',
      pageSize: 1,
      pageToken: page.nextPageToken,
    });
    expect(rest.entries).toEqual([JSON.parse(json)]);
    expect(t.logs.usage('hello-1').entries).toBe(2);
    t.dispose();
  });
});
