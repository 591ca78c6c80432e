import { describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate, openDatabase } from '../store/index.ts';
import { FakeClock } from '../shared/index.ts';
import { Telemetry } from './telemetry.ts';

const rev = (revision: string) => ({ project: 'p', service: 's', revision, location: 'us-central1' });

function setup(opts = {}) {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const db = openDatabase(':memory:');
  return { clock, db, t: new Telemetry(db, clock, opts) };
}

const texts = (t: Telemetry, revision: string): string[] =>
  t.logs
    .list({ filter: `resource.labels.revision_name=${revision}`, orderBy: 'timestamp asc', pageSize: 1000 })
    .entries.map((e) => e.textPayload ?? '');

describe('log retention by bytes', () => {
  it('keeps totals per revision and trims the oldest entries of a revision over its byte budget', () => {
    const { clock, t } = setup({ maxBytesPerRevision: 10_000 });
    const line = 'x'.repeat(400);
    for (let i = 0; i < 100; i++) {
      t.containerLine(rev('big'), 'stdout', `${i} ${line}`);
      clock.advance(1);
    }
    t.containerLine(rev('small'), 'stdout', 'kept');
    const before = t.logs.usage('big');
    expect(before.entries).toBe(100);
    expect(before.bytes).toBeGreaterThan(40_000);
    t.logs.sweep();
    const after = t.logs.usage('big');
    // Trimmed below 90 % of the budget; the newest entries stay, the small revision is untouched.
    expect(after.bytes).toBeLessThanOrEqual(9_000);
    expect(after.bytes).toBeGreaterThan(9_000 - 600);
    const kept = texts(t, 'big');
    expect(kept.length).toBe(after.entries);
    expect(kept.at(-1)?.startsWith('99 ')).toBe(true);
    expect(kept[0]?.startsWith(`${100 - kept.length} `)).toBe(true);
    expect(texts(t, 'small')).toEqual(['kept']);
    t.dispose();
  });

  it('totals follow age expiry and entry-count trims, and match the rows', () => {
    const { clock, db, t } = setup({ maxAgeMs: 10_000, maxPerRevision: 10 });
    t.containerLine(rev('a'), 'stdout', 'old', new Date(clock.now() - 20_000).toISOString());
    for (let i = 0; i < 30; i++) t.containerLine(rev('b'), 'stdout', `b${i}`);
    t.logs.sweep();
    expect(t.logs.usage('a')).toEqual({ bytes: 0, entries: 0 });
    const rows = db
      .prepare("SELECT COUNT(*) AS entries, SUM(bytes) AS bytes FROM log_entries WHERE revision = 'b'")
      .get();
    expect(t.logs.usage('b')).toEqual(rows);
    expect(t.logs.usage('b').entries).toBe(9);
    t.dispose();
  });

  it('a flush that crosses the budget trims in the background, in steps, without a caller waiting', async () => {
    const { clock, t } = setup({ maxBytesPerRevision: 70_000 });
    for (let i = 0; i < 5000; i++) t.containerLine(rev('r'), 'stdout', `line ${i} ${'y'.repeat(80)}`);
    clock.advance(300); // the flush timer: the write returns at once, the trim is scheduled
    const seen = new Set<number>();
    while (t.logs.usage('r').bytes > 70_000) {
      seen.add(t.logs.usage('r').entries);
      await new Promise((r) => setImmediate(r));
    }
    // 5000 entries, about 4750 to remove in chunks of 2000: the loop saw the totals in between.
    expect(seen.size).toBeGreaterThan(2);
    expect(t.logs.usage('r').bytes).toBeLessThanOrEqual(63_000);
    expect(t.logs.sweepError).toBeUndefined();
    t.dispose();
  });

  it('an older database gets its totals from the rows already stored (migration 602)', () => {
    const db = openDatabase(
      ':memory:',
      MIGRATIONS.filter((m) => m.id < 602),
    );
    const insert = db.prepare(
      "INSERT INTO log_entries (project, service, revision, ts, severity, log_name, entry) VALUES ('p', 's', ?, 0, 0, 'l', ?)",
    );
    insert.run('old-1', '{"textPayload":"héllo"}');
    insert.run('old-1', '{"textPayload":"two"}');
    migrate(db, MIGRATIONS);
    const t = new Telemetry(db, new FakeClock(Date.UTC(2026, 0, 1)));
    expect(t.logs.usage('old-1')).toEqual({ bytes: 24 + 21, entries: 2 });
    t.dispose();
  });
});
