import { describe, expect, it } from 'vitest';
import { openDatabase } from '../store/index.ts';
import { FakeClock } from '../shared/index.ts';
import { Telemetry } from './telemetry.ts';

const rev = (revision: string, service = 'hello') => ({
  project: 'p',
  service,
  revision,
  location: 'us-central1',
});

function setup(opts = {}) {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const db = openDatabase(':memory:');
  return { clock, db, t: new Telemetry(db, clock, opts) };
}

describe('LogStore', () => {
  it('buffers writes and flushes them on the clock, not per write', () => {
    const { clock, db, t } = setup();
    t.containerLine(rev('hello-1'), 'stdout', 'one');
    const count = () => (db.prepare('SELECT COUNT(*) AS n FROM log_entries').get() as { n: number }).n;
    expect(count()).toBe(0);
    clock.advance(300);
    expect(count()).toBe(1);
    t.dispose();
  });

  it('lists newest first with a filter and page tokens', () => {
    const { clock, t } = setup();
    for (let i = 0; i < 5; i++) {
      t.containerLine(rev('hello-1'), i % 2 ? 'stderr' : 'stdout', `line ${i}`);
      clock.advance(1000);
    }
    t.containerLine(rev('other-1', 'other'), 'stdout', 'elsewhere');
    const first = t.logs.list({ filter: 'resource.labels.service_name=hello', pageSize: 2 });
    expect(first.entries.map((e) => e.textPayload)).toEqual(['line 4', 'line 3']);
    const second = t.logs.list({
      filter: 'resource.labels.service_name=hello',
      pageSize: 2,
      pageToken: first.nextPageToken,
    });
    expect(second.entries.map((e) => e.textPayload)).toEqual(['line 2', 'line 1']);
    const errors = t.logs.list({ filter: 'resource.labels.service_name=hello severity>=ERROR' });
    expect(errors.entries.map((e) => e.textPayload)).toEqual(['line 3', 'line 1']);
    expect(() => t.logs.list({ pageToken: 'garbage' })).toThrow(/page token/);
    t.dispose();
  });

  it('tails new entries that match', () => {
    const { t } = setup();
    const seen: string[] = [];
    const stop = t.logs.tail('severity>=ERROR', (e) => seen.push(e.textPayload ?? ''));
    t.containerLine(rev('r'), 'stdout', 'fine');
    t.containerLine(rev('r'), 'stderr', 'bad');
    t.systemEvent(rev('r'), 'ERROR', 'Memory limit of 512 MiB exceeded with 530 MiB used');
    stop();
    t.containerLine(rev('r'), 'stderr', 'after');
    expect(seen).toEqual(['bad', 'Memory limit of 512 MiB exceeded with 530 MiB used']);
    t.dispose();
  });

  it('drops entries beyond the buffer bound instead of blocking', () => {
    const { t } = setup({ maxBuffered: 3 });
    for (let i = 0; i < 5; i++) t.containerLine(rev('r'), 'stdout', `l${i}`);
    expect(t.logs.dropped).toBe(2);
    expect(t.logs.list().entries).toHaveLength(3);
    t.dispose();
  });

  it('applies age and per-revision retention', () => {
    const { clock, t } = setup({ maxAgeMs: 10_000, maxPerRevision: 2 });
    t.containerLine(rev('a'), 'stdout', 'old', new Date(clock.now() - 20_000).toISOString());
    for (let i = 0; i < 4; i++) t.containerLine(rev('b'), 'stdout', `b${i}`);
    t.logs.sweep();
    expect(t.logs.list().entries.map((e) => e.textPayload)).toEqual(['b3', 'b2']);
    t.dispose();
  });

  it('writes request logs with severity from the status', () => {
    const { t } = setup();
    t.request(
      rev('r'),
      { requestMethod: 'GET', requestUrl: '/', status: 503, latency: '0.1s' },
      { coldStart: true },
    );
    const [e] = t.logs.list().entries;
    expect(e?.severity).toBe('ERROR');
    expect(e?.labels).toEqual({ coldStart: 'true' });
    t.dispose();
  });
});

describe('LogStore order', () => {
  it('lists by timestamp, not arrival: a late container line sorts before a newer request', () => {
    const { clock, t } = setup();
    const earlier = new Date(clock.now()).toISOString();
    clock.advance(2000);
    t.request(rev('r'), { requestMethod: 'GET', requestUrl: '/', status: 200, latency: '0.1s' });
    t.containerLine(rev('r'), 'stdout', 'printed first, read late', earlier);
    const newest = t.logs.list({ pageSize: 1 });
    expect(newest.entries[0]?.httpRequest?.status).toBe(200);
    const rest = t.logs.list({ pageSize: 1, pageToken: newest.nextPageToken });
    expect(rest.entries[0]?.textPayload).toBe('printed first, read late');
    expect(t.logs.list({ orderBy: 'timestamp asc' }).entries[0]?.textPayload).toBe(
      'printed first, read late',
    );
    t.dispose();
  });
});
