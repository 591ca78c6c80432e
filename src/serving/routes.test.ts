import { describe, expect, it } from 'vitest';
import type { RouteSpec } from '../model/index.ts';
import { parseHost, serviceUrl } from './hosts.ts';
import { RouteTable, pickRevision } from './routes.ts';

const base: RouteSpec = {
  project: 'p1-project',
  projectNumber: '123456789012',
  region: 'us-central1',
  service: 'hello',
  routes: [
    { revision: 'hello-00001-aaa', percent: 90 },
    { revision: 'hello-00002-bbb', percent: 10, tag: 'canary' },
    { revision: 'hello-00003-ccc', percent: 0, tag: 'blue' },
  ],
  ingress: 'all',
  invokerIamDisabled: false,
  customAudiences: ['https://custom.example'],
};

function table(): RouteTable {
  const t = new RouteTable('run.localhost', (h) => serviceUrl(h, 8080));
  t.set(base);
  return t;
}

describe('route table', () => {
  it('routes a host to its service and a tag host only to its revision', () => {
    const t = table();
    const h = parseHost('canary---hello-123456789012.us-central1.run.localhost:8080', '.run.localhost')!;
    const r = t.get(h.key)!;
    for (const x of [0, 0.5, 0.99]) expect(pickRevision(r, h.tag, x)).toBe('hello-00002-bbb');
    expect(pickRevision(r, 'blue', 0.1)).toBe('hello-00003-ccc');
    expect(pickRevision(r, 'nope', 0.1)).toBeUndefined();
    expect(t.get('other-123456789012.us-central1')).toBeUndefined();
  });

  it('splits by percent', () => {
    const r = table().get('hello-123456789012.us-central1')!;
    const counts = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const rev = pickRevision(r, undefined, i / 1000)!;
      counts.set(rev, (counts.get(rev) ?? 0) + 1);
    }
    expect(counts.get('hello-00001-aaa')).toBe(900);
    expect(counts.get('hello-00002-bbb')).toBe(100);
    expect(counts.has('hello-00003-ccc')).toBe(false);
  });

  it('lists hosts and audiences, and forgets removed services', () => {
    const t = table();
    expect([...t.hosts()].sort()).toEqual([
      'blue---hello-123456789012.us-central1.run.localhost',
      'canary---hello-123456789012.us-central1.run.localhost',
      'hello-123456789012.us-central1.run.localhost',
    ]);
    expect(t.get('hello-123456789012.us-central1')!.audiences).toContain(
      'http://hello-123456789012.us-central1.run.localhost:8080',
    );
    expect(t.routedRevisions().has('hello-00003-ccc')).toBe(true);
    t.remove('p1-project', 'us-central1', 'hello');
    expect(t.get('hello-123456789012.us-central1')).toBeUndefined();
    expect([...t.hosts()]).toEqual([]);
  });
});
