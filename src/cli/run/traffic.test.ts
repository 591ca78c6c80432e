import { describe, expect, it } from 'vitest';
import type { Service } from '../../client/index.ts';
import { computeTraffic, parseTrafficFlags } from './traffic.ts';

const LATEST = 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST';
const REV = 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION';
const svc: Service = {
  name: 'projects/p/locations/r/services/s',
  latestReadyRevision: 'projects/p/locations/r/services/s/revisions/s-00003-ccc',
  traffic: [
    { type: REV, revision: 's-00001-aaa', percent: 60 },
    { type: REV, revision: 's-00002-bbb', percent: 40, tag: 'blue' },
  ],
};

describe('update-traffic', () => {
  it('sends everything to latest', () => {
    expect(computeTraffic(svc, parseTrafficFlags({ toLatest: true }))).toEqual([
      { type: LATEST, percent: 100 },
      { type: REV, revision: 's-00002-bbb', percent: 0, tag: 'blue' },
    ]);
  });

  it('splits the rest over the other serving revisions in proportion', () => {
    const t = computeTraffic(svc, parseTrafficFlags({ toRevisions: ['LATEST=50'] }));
    expect(t).toEqual([
      { type: LATEST, percent: 50 },
      { type: REV, revision: 's-00001-aaa', percent: 30 },
      { type: REV, revision: 's-00002-bbb', percent: 20, tag: 'blue' },
    ]);
  });

  it('applies tags first, then percentages by tag', () => {
    const t = computeTraffic(
      svc,
      parseTrafficFlags({ updateTags: ['green=s-00003-ccc'], toTags: ['green=10'] }),
    );
    expect(t.reduce((a, x) => a + (x.percent ?? 0), 0)).toBe(100);
    expect(t).toContainEqual({ type: REV, revision: 's-00003-ccc', percent: 10, tag: 'green' });
    const cleared = computeTraffic(svc, parseTrafficFlags({ clearTags: true }));
    expect(cleared.every((x) => !x.tag)).toBe(true);
  });

  it('rejects bad percentages', () => {
    expect(() => parseTrafficFlags({ toRevisions: ['a=101'] })).toThrow(/integer from 0 to 100/);
    expect(() =>
      computeTraffic(svc, parseTrafficFlags({ toRevisions: ['s-00001-aaa=70', 's-00002-bbb=40'] })),
    ).toThrow(/add up to 110/);
    expect(() => parseTrafficFlags({})).toThrow(/No traffic change/);
    expect(() => computeTraffic(svc, parseTrafficFlags({ toTags: ['nope=5'] }))).toThrow(/no tag \[nope\]/);
  });
});
