import { describe, expect, it } from 'vitest';
import { parseLine, parseSeverity, severityNumber } from './entry.ts';

describe('parseLine', () => {
  it('maps plain lines to DEFAULT on stdout and ERROR on stderr', () => {
    expect(parseLine('hello\n', 'stdout')).toEqual({ severity: 'DEFAULT', textPayload: 'hello' });
    expect(parseLine('boom', 'stderr')).toEqual({ severity: 'ERROR', textPayload: 'boom' });
  });

  it('parses JSON lines with the special fields lifted out', () => {
    const line = JSON.stringify({
      severity: 'warning',
      message: 'slow',
      'logging.googleapis.com/trace': 'projects/p/traces/abc',
      'logging.googleapis.com/labels': { user: 'x', n: 1 },
      httpRequest: { requestMethod: 'GET', status: 200 },
      extra: true,
    });
    const e = parseLine(line, 'stdout');
    expect(e.severity).toBe('WARNING');
    expect(e.trace).toBe('projects/p/traces/abc');
    expect(e.labels).toEqual({ user: 'x', n: '1' });
    expect(e.httpRequest).toEqual({ requestMethod: 'GET', status: 200 });
    expect(e.jsonPayload).toEqual({ message: 'slow', extra: true });
  });

  it('keeps invalid JSON as text and uses the stream default for unknown severities', () => {
    expect(parseLine('{not json}', 'stdout').textPayload).toBe('{not json}');
    expect(parseLine('{"severity":"LOUD","message":"m"}', 'stderr').severity).toBe('ERROR');
  });

  it('orders severities as Cloud Logging does', () => {
    expect(parseSeverity('warn')).toBe('WARNING');
    expect(severityNumber('ERROR')).toBe(500);
    expect(severityNumber('DEFAULT')).toBe(0);
  });
});
