import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { UpstreamPool, type Exchange } from './upstream.ts';

/** Records what one request got back; resolves when it completed or failed. */
class Recorder implements Exchange {
  status = 0;
  headers: string[] = [];
  body = '';
  error: string | undefined;
  readonly done: Promise<void>;
  private resolve!: () => void;
  constructor() {
    this.done = new Promise((r) => (this.resolve = r));
  }
  onHead(status: number, _reason: string, headers: string[]): void {
    this.status = status;
    this.headers = headers;
  }
  onBody(chunk: Buffer): void {
    this.body += chunk.toString();
  }
  onComplete(): void {
    this.resolve();
  }
  onUpstreamError(code: string): void {
    this.error = code;
    this.resolve();
  }
  onUpstreamDrain(): void {}
}

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A raw TCP server on 127.0.0.1 answering each request head with `answer(n, socket)`. */
async function serve(
  answer: (n: number, s: Socket, head: string) => void,
): Promise<{ port: number; conns: () => number }> {
  let conns = 0;
  let n = 0;
  const server = createServer((s) => {
    conns++;
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      let end: number;
      while ((end = buf.indexOf('\r\n\r\n')) >= 0) {
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        answer(n++, s, head);
      }
    });
    s.on('error', () => undefined);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { port, conns: () => conns };
}

async function exchange(pool: UpstreamPool, head = 'GET / HTTP/1.1\r\nhost: x\r\n\r\n'): Promise<Recorder> {
  const r = new Recorder();
  pool.take().send(r, head, false, false);
  await r.done;
  return r;
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

describe('UpstreamPool', () => {
  it('carries sequential requests over one keep-alive connection', async () => {
    const up = await serve((n, s) => s.write(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-N: ${n}\r\n\r\nok`));
    const pool = new UpstreamPool(() => up.port, 8);
    for (let i = 0; i < 5; i++) {
      const r = await exchange(pool);
      expect([r.status, r.body, r.headers]).toEqual([200, 'ok', ['Content-Length', '2', 'X-N', String(i)]]);
    }
    expect(up.conns()).toBe(1);
    pool.destroy();
  });

  it('reads the next response on a connection its last exchange paused as the response completed', async () => {
    const up = await serve((n, s) => s.write(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-N: ${n}\r\n\r\nok`));
    const pool = new UpstreamPool(() => up.port, 8);
    // Client backpressure on the last body piece: the exchange pauses the connection and, being
    // finished, never resumes it.
    const conn = pool.take();
    const first = new Recorder();
    first.onBody = (chunk: Buffer): void => {
      first.body += chunk.toString();
      conn.pause();
    };
    conn.send(first, 'GET / HTTP/1.1\r\nhost: x\r\n\r\n', false, false);
    await first.done;
    const second = await Promise.race([
      exchange(pool),
      tick()
        .then(tick)
        .then(() => undefined),
    ]);
    expect(second?.body).toBe('ok');
    expect(up.conns()).toBe(1);
    pool.destroy();
  });

  it('opens a new connection after Connection: close or a body delimited by close', async () => {
    const up = await serve((n, s) => {
      if (n % 2 === 0) s.write('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\na');
      else s.end('HTTP/1.1 200 OK\r\n\r\nuntil-close');
    });
    const pool = new UpstreamPool(() => up.port, 8);
    expect((await exchange(pool)).body).toBe('a');
    expect((await exchange(pool)).body).toBe('until-close');
    await tick();
    expect(up.conns()).toBe(2);
    expect(pool.size).toBe(0);
  });

  it('drops an idle connection the upstream closed, and reports a close before any response', async () => {
    const up = await serve((n, s) => {
      if (n === 0) s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      else s.destroy();
    });
    const pool = new UpstreamPool(() => up.port, 8);
    expect((await exchange(pool)).body).toBe('ok');
    await tick();
    expect(pool.size).toBe(0);
    const r = await exchange(pool);
    expect(r.error).toBe('ECONNRESET');
    expect(r.status).toBe(0);
  });

  it('delivers a response with bytes past its Content-Length and drops that connection', async () => {
    const up = await serve((_n, s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokX'));
    const pool = new UpstreamPool(() => up.port, 8);
    const r = await exchange(pool);
    expect([r.status, r.body, r.error]).toEqual([200, 'ok', undefined]);
    await tick();
    expect(pool.size).toBe(0);
    expect((await exchange(pool)).body).toBe('ok');
    expect(up.conns()).toBe(2);
  });

  it('reports a malformed response as a protocol error', async () => {
    const up = await serve((_n, s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n'));
    const pool = new UpstreamPool(() => up.port, 8);
    expect((await exchange(pool)).error).toBe('EPROTO');
  });

  it('does not reuse a connection whose request body was not sent whole', async () => {
    const up = await serve((_n, s) => s.write('HTTP/1.1 413 Too Large\r\nContent-Length: 0\r\n\r\n'));
    const pool = new UpstreamPool(() => up.port, 8);
    const r = new Recorder();
    const conn = pool.take();
    conn.send(r, 'POST / HTTP/1.1\r\ncontent-length: 100\r\n\r\n', false, true);
    await r.done;
    expect(r.status).toBe(413);
    expect(pool.size).toBe(0);
  });
});
