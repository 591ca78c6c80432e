import { describe, expect, it } from 'vitest';
import { parseRequestHead } from './request-head.ts';

describe('request heads the ingress serves itself', () => {
  it('parses an ordinary head: lower-case names, trimmed values, Content-Length, Connection: close', () => {
    const h = parseRequestHead(
      'POST /a?b=c HTTP/1.1\r\nHost: s.example\r\nContent-Length: 12\r\nX-Thing:\t v \r\nConnection: Close\r\nEmpty:',
    );
    expect(h).toEqual({
      method: 'POST',
      url: '/a?b=c',
      headers: { host: 's.example', 'content-length': '12', 'x-thing': 'v', connection: 'Close', empty: '' },
      bodyLength: 12,
      close: true,
    });
    expect(Object.keys(h!.headers)).toEqual(['host', 'content-length', 'x-thing', 'connection', 'empty']);
    expect(parseRequestHead('GET / HTTP/1.1')).toMatchObject({ headers: {}, bodyLength: 0, close: false });
    expect(parseRequestHead('GET / HTTP/1.1\r\nX: caf\xe9')?.headers.x).toBe('caf\xe9');
  });

  it('leaves to Node what it does not serve', () => {
    for (const head of [
      'GET / HTTP/1.0\r\nHost: h',
      'GET / HTTP/2.0\r\nHost: h',
      'get / HTTP/1.1\r\nHost: h',
      'GET  / HTTP/1.1\r\nHost: h',
      'GET /caf\xe9 HTTP/1.1\r\nHost: h',
      'POST / HTTP/1.1\r\nTransfer-Encoding: chunked',
      'POST / HTTP/1.1\r\nExpect: 100-continue',
      'GET / HTTP/1.1\r\nUpgrade: websocket',
      'GET / HTTP/1.1\r\nConnection: keep-alive, Upgrade',
      'GET / HTTP/1.1\r\nContent-Length: 1e3',
      'GET / HTTP/1.1\r\nContent-Length: -1',
      'GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1',
      'GET / HTTP/1.1\r\nHost: a\r\nhost: b',
      'GET / HTTP/1.1\r\nX : y',
      'GET / HTTP/1.1\r\n: y',
      'GET / HTTP/1.1\r\nX y',
      'GET / HTTP/1.1\r\nX: a\r\n folded',
      'GET / HTTP/1.1\r\nX: a\nY: b',
      'GET / HTTP/1.1\r\nX: a\rb',
      'GET / HTTP/1.1\r\nX: a\x00b',
      'GET / HTTP/1.1\r\n__proto__: x',
      'GET / HTTP/1.1\r\nconstructor: x',
    ]) {
      expect(parseRequestHead(head), JSON.stringify(head)).toBeUndefined();
    }
  });
});
