import { describe, expect, it } from 'vitest';
import { couldMatch, matches, parseFilter, requiredBounds, requiredEquals } from './filter.ts';
import type { LogEntry } from './entry.ts';

const entry = (over: Partial<LogEntry> = {}): LogEntry => ({
  insertId: '1',
  logName: 'projects/p/logs/run.googleapis.com%2Fstdout',
  resource: {
    type: 'cloud_run_revision',
    labels: { service_name: 'hello', revision_name: 'hello-00001-abc' },
  },
  timestamp: '2026-01-01T00:00:10Z',
  receiveTimestamp: '2026-01-01T00:00:10Z',
  severity: 'WARNING',
  textPayload: 'disk almost full',
  ...over,
});

describe('filter', () => {
  it('matches equality, severity order, timestamps and substrings', () => {
    const e = entry();
    expect(matches(parseFilter('resource.labels.service_name="hello"'), e)).toBe(true);
    expect(matches(parseFilter('resource.labels.service_name=other'), e)).toBe(false);
    expect(matches(parseFilter('severity>=WARNING'), e)).toBe(true);
    expect(matches(parseFilter('severity>=ERROR'), e)).toBe(false);
    expect(matches(parseFilter('timestamp>="2026-01-01T00:00:05Z"'), e)).toBe(true);
    expect(matches(parseFilter('textPayload:"ALMOST"'), e)).toBe(true);
  });

  it('combines with AND, OR, NOT and parentheses', () => {
    const e = entry();
    expect(matches(parseFilter('severity=ERROR OR severity=WARNING'), e)).toBe(true);
    expect(matches(parseFilter('resource.labels.service_name=hello AND NOT severity=WARNING'), e)).toBe(
      false,
    );
    expect(
      matches(parseFilter('(severity=ERROR OR textPayload:disk) resource.labels.service_name=hello'), e),
    ).toBe(true);
  });

  it('finds the equality constraints that narrow a scan', () => {
    expect(requiredEquals(parseFilter('resource.labels.service_name=a AND severity>=ERROR'))).toEqual({
      'resource.labels.service_name': 'a',
    });
    expect(requiredEquals(parseFilter('a=1 OR b=2'))).toEqual({});
  });

  it('finds severity and time bounds, and which fixed fields rule a whole batch out', () => {
    const t = '2026-01-01T00:00:00.000Z';
    expect(requiredBounds(parseFilter(`severity>WARNING timestamp>="${t}" (a=1 OR severity=DEBUG)`))).toEqual(
      {
        minSeverity: 401,
        minTs: Date.parse(t),
      },
    );
    expect(requiredBounds(parseFilter(`timestamp<"${t}"`))).toEqual({ maxTs: Date.parse(t) });
    const fixed = {
      logName: 'projects/p/logs/run.googleapis.com%2Frequests',
      'resource.labels.service_name': 's',
    };
    expect(couldMatch(parseFilter('logName:"stdout"'), fixed)).toBe(false);
    expect(couldMatch(parseFilter('logName:"stdout" OR severity>=ERROR'), fixed)).toBe(true);
    expect(couldMatch(parseFilter('NOT logName:"requests"'), fixed)).toBe(false);
    expect(couldMatch(parseFilter('resource.labels.service_name=s httpRequest.status=500'), fixed)).toBe(
      true,
    );
    expect(couldMatch(parseFilter('resource.labels.service_name=t OR logName:"x"'), fixed)).toBe(false);
    expect(couldMatch(undefined, fixed)).toBe(true);
  });

  it('rejects what it cannot read with INVALID_ARGUMENT', () => {
    expect(() => parseFilter('severity>=')).toThrow(/invalid filter/);
    expect(() => parseFilter('(a=1')).toThrow(/missing \)/);
    expect(() => matches(parseFilter('severity>=LOUD'), entry())).toThrow(/unknown severity/);
  });
});
