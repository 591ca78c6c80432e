import { describe, expect, it } from 'vitest';
import { parseHost, routeKey, serviceHost, serviceUrl } from './hosts.ts';

const suffix = '.run.localhost';

describe('service hosts', () => {
  it('builds service and tag hosts and URLs', () => {
    expect(serviceHost('123456789012', 'us-central1', 'hello', 'run.localhost')).toBe(
      'hello-123456789012.us-central1.run.localhost',
    );
    expect(serviceHost('123456789012', 'us-central1', 'hello', 'run.localhost', 'blue')).toBe(
      'blue---hello-123456789012.us-central1.run.localhost',
    );
    expect(serviceUrl('a.run.localhost', 8080)).toBe('http://a.run.localhost:8080');
    expect(serviceUrl('a.run.localhost', 80)).toBe('http://a.run.localhost');
  });

  it('parses hosts with and without port and tag', () => {
    const key = routeKey('123456789012', 'us-central1', 'hello');
    expect(parseHost('hello-123456789012.us-central1.run.localhost:8080', suffix)).toEqual({
      key,
      tag: undefined,
    });
    expect(parseHost('Blue---Hello-123456789012.us-central1.run.localhost', suffix)).toEqual({
      key,
      tag: 'blue',
    });
    expect(parseHost('hello-123456789012.us-central1.run.localhost.', suffix)?.key).toBe(key);
  });

  it('rejects hosts outside the domain or malformed', () => {
    expect(parseHost('127.0.0.1:8080', suffix)).toBeUndefined();
    expect(parseHost('run.localhost', suffix)).toBeUndefined();
    expect(parseHost('x.y.z.run.localhost', suffix)).toBeUndefined();
    expect(parseHost('---hello-1.r.run.localhost', suffix)).toBeUndefined();
    expect(parseHost('evilrun.localhost', suffix)).toBeUndefined();
  });
});
