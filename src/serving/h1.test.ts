import { describe, expect, it } from 'vitest';
import { ResponseParser, type ResponseSink } from './h1.ts';

interface Got {
  status?: number;
  reason?: string;
  headers?: string[];
  contentLength?: string | undefined;
  body: string;
  complete: number;
}

function sink(): { got: Got; sink: ResponseSink } {
  const got: Got = { body: '', complete: 0 };
  return {
    got,
    sink: {
      onHead(status, reason, headers, contentLength) {
        Object.assign(got, { status, reason, headers, contentLength });
      },
      onBody(chunk) {
        got.body += chunk.toString('latin1');
      },
      onComplete() {
        got.complete++;
      },
    },
  };
}

/** Parses `wire` fed in pieces of `step` bytes; returns what the sink got and the bytes used. */
function parse(
  wire: string,
  step = wire.length,
  noBody = false,
): { got: Got; p: ResponseParser; used: number } {
  const { got, sink: s } = sink();
  const p = new ResponseParser(s);
  p.expect(noBody);
  const buf = Buffer.from(wire, 'latin1');
  let used = 0;
  for (let i = 0; i < buf.length; i += step) {
    const piece = buf.subarray(i, Math.min(buf.length, i + step));
    const r = p.execute(piece);
    if (r < 0) return { got, p, used: -1 };
    used += r;
    if (r < piece.length) break;
  }
  return { got, p, used };
}

const every = (wire: string): number[] => Array.from({ length: wire.length }, (_, i) => i + 1);

describe('ResponseParser', () => {
  it('reads a Content-Length response whole or split at any byte', () => {
    const wire = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello';
    for (const step of every(wire)) {
      const { got, p, used } = parse(wire, step);
      expect(got).toEqual({
        status: 200,
        reason: 'OK',
        headers: ['Content-Type', 'text/plain', 'Content-Length', '5'],
        contentLength: '5',
        body: 'hello',
        complete: 1,
      });
      expect(used).toBe(wire.length);
      expect(p.keepAlive).toBe(true);
    }
  });

  it('decodes chunked bodies with extensions and trailers, split at any byte', () => {
    const wire =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n' +
      '5;ext=1\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Trailer: t\r\n\r\n';
    for (const step of every(wire)) {
      const { got, p, used } = parse(wire, step);
      expect(got.body).toBe('hello, world!!!');
      expect(got.headers).toEqual(['X-A', '1']);
      expect(got.contentLength).toBeUndefined();
      expect(got.complete).toBe(1);
      expect(used).toBe(wire.length);
      expect(p.keepAlive).toBe(true);
    }
  });

  it('reads a body delimited by the close of the connection', () => {
    const { got, p } = parse('HTTP/1.1 200 OK\r\nX: y\r\n\r\npart1');
    expect(got.body).toBe('part1');
    expect(got.complete).toBe(0);
    expect(p.untilClose).toBe(true);
    expect(p.keepAlive).toBe(false);
    expect(p.eof()).toBe(true);
    expect(got.complete).toBe(1);
  });

  it('takes no body for HEAD, 204 and 304, and skips 1xx interim responses', () => {
    const head = parse('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', undefined, true);
    expect(head.got).toMatchObject({ status: 200, contentLength: '10', body: '', complete: 1 });
    expect(parse('HTTP/1.1 204 No Content\r\n\r\n').got.complete).toBe(1);
    expect(parse('HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n').got.complete).toBe(1);
    const wire =
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n' +
      'HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok';
    for (const step of every(wire)) {
      expect(parse(wire, step).got).toMatchObject({ status: 201, body: 'ok', complete: 1 });
    }
  });

  it('drops hop-by-hop headers and those Connection names, keeps repeated fields', () => {
    const { got, p } = parse(
      'HTTP/1.1 200 OK\r\nConnection: close, X-Secret\r\nKeep-Alive: timeout=5\r\nX-Secret: s\r\n' +
        'Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nUpgrade: h2c\r\nContent-Length: 0\r\n\r\n',
    );
    expect(got.headers).toEqual(['Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Content-Length', '0']);
    expect(p.keepAlive).toBe(false);
    expect(got.complete).toBe(1);
  });

  it('keeps HTTP/1.0 connections only with keep-alive', () => {
    expect(parse('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').p.keepAlive).toBe(false);
    expect(parse('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n').p.keepAlive).toBe(
      true,
    );
  });

  it('reports bytes past the response', () => {
    const wire = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA';
    const { got, used } = parse(wire);
    expect(got.body).toBe('ok');
    expect(used).toBe(wire.length - 5);
  });

  it('refuses malformed responses', () => {
    for (const wire of [
      'HTTP/2 200 OK\r\n\r\n',
      'garbage\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
      'HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX',
    ]) {
      const { used, p } = parse(wire);
      expect(used, wire).toBe(-1);
      expect(p.error).toBeTruthy();
    }
  });

  it('treats Transfer-Encoding with Content-Length as chunked and does not reuse the connection', () => {
    const { got, p } = parse(
      'HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
    );
    expect(got).toMatchObject({ body: 'ok', complete: 1, contentLength: undefined });
    expect(p.keepAlive).toBe(false);
  });
});
