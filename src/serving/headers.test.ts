import { describe, expect, it } from 'vitest';
import { endToEnd, upstreamHead, upstreamHeaderList, upstreamHeaders } from './headers.ts';

describe('proxy headers', () => {
  it('drops hop-by-hop headers and those named in Connection', () => {
    const out = endToEnd({
      connection: 'keep-alive, x-secret',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      te: 'trailers',
      'x-secret': '1',
      'x-kept': '2',
      upgrade: 'websocket',
    });
    expect(out).toEqual({ 'x-kept': '2' });
    expect(endToEnd({ connection: 'Upgrade', upgrade: 'websocket' }, true)).toEqual({
      connection: 'Upgrade',
      upgrade: 'websocket',
    });
  });

  it('sets X-Forwarded-* and appends to an existing X-Forwarded-For', () => {
    const h = upstreamHeaders({ host: 'a.run.localhost:8080', 'x-forwarded-for': '10.0.0.1' }, '127.0.0.1');
    expect(h['x-forwarded-for']).toBe('10.0.0.1, 127.0.0.1');
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-forwarded-host']).toBe('a.run.localhost:8080');
  });

  it('starts a trace with both headers agreeing', () => {
    const h = upstreamHeaders({}, '127.0.0.1');
    const [, trace, span] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(h.traceparent))!;
    expect(h['x-cloud-trace-context']).toBe(`${trace}/${BigInt(`0x${span}`).toString()};o=1`);
  });

  it('keeps the caller trace from either header', () => {
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const a = upstreamHeaders({ traceparent: tp }, '127.0.0.1');
    expect(a.traceparent).toBe(tp);
    expect(a['x-cloud-trace-context']).toBe(
      `0af7651916cd43dd8448eb211c80319c/${BigInt('0xb7ad6b7169203331')};o=1`,
    );
    const b = upstreamHeaders(
      { 'x-cloud-trace-context': '105445aa7843bc8bf206b12000100000/1;o=1' },
      '127.0.0.1',
    );
    expect(b.traceparent).toBe('00-105445aa7843bc8bf206b12000100000-0000000000000001-01');
  });

  it('writes the upstream request head as one string, with framing', () => {
    const head = upstreamHead(
      'POST',
      '/p?q=1',
      { host: 'h', 'set-cookie': ['a', 'b'], te: 'x' },
      '1.2.3.4',
      'transfer-encoding: chunked\r\n',
    );
    const lines = head.split('\r\n');
    expect(lines.slice(0, 7)).toEqual([
      'POST /p?q=1 HTTP/1.1',
      'host: h',
      'set-cookie: a',
      'set-cookie: b',
      'x-forwarded-for: 1.2.3.4',
      'x-forwarded-proto: http',
      'x-forwarded-host: h',
    ]);
    expect(lines[7]).toMatch(/^traceparent: 00-/);
    expect(lines[8]).toMatch(/^x-cloud-trace-context: /);
    expect(lines.slice(9)).toEqual(['transfer-encoding: chunked', '', '']);
  });

  it('builds the upstream list without hop-by-hop headers and with one trace pair', () => {
    const list = upstreamHeaderList(
      { host: 'h', connection: 'x-a', 'x-a': '1', 'x-b': '2', traceparent: 'bad', 'set-cookie': ['a', 'b'] },
      '127.0.0.9',
    );
    const names = list.filter((_, i) => i % 2 === 0);
    expect(names).toEqual([
      'host',
      'x-b',
      'set-cookie',
      'set-cookie',
      'x-forwarded-for',
      'x-forwarded-proto',
      'x-forwarded-host',
      'traceparent',
      'x-cloud-trace-context',
    ]);
  });

  it('starts distinct traces whose decimal span matches the hex one', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const h = upstreamHeaders({}, '127.0.0.1');
      const [, trace, span] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(h.traceparent))!;
      expect(span).not.toBe('0000000000000000');
      expect(h['x-cloud-trace-context']).toBe(`${trace}/${BigInt(`0x${span}`).toString()};o=1`);
      seen.add(trace!);
    }
    expect(seen.size).toBe(500);
  });
});
