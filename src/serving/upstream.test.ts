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

/** Polls `ok` every 20 ms for at most 5 s. */
async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 250 && !ok(); i++) await tick();
  expect(ok()).toBe(true);
}

// The dialer enters the network namespace of a process with nsenter (root); here its own test
// process's, so "inside the namespace" is this host's loopback and the published port another server.
describe.runIf(process.getuid?.() === 0)('UpstreamPool with a namespace dialer', () => {
  const ok = (n: number, s: Socket): boolean =>
    s.write(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-N: ${n}\r\n\r\nok`);

  it('opens on the published port until the helper answers, then dials; published ones are not parked', async () => {
    const published = await serve(ok);
    const inside = await serve(ok);
    const pool = new UpstreamPool(() => published.port, 8);
    pool.useDialer(process.pid, inside.port);
    expect((await exchange(pool)).body).toBe('ok');
    expect(published.conns()).toBe(1);
    await until(() => pool.dialerReady);
    // The published-port connection was parked before the helper answered: it serves once more,
    // then makes way.
    expect((await exchange(pool)).body).toBe('ok');
    expect(pool.size).toBe(0);
    const r = await exchange(pool, 'POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n');
    expect([r.status, r.body]).toEqual([200, 'ok']);
    expect(inside.conns()).toBe(1);
    expect(pool.directCount).toBe(1);
    // Kept alive like any other.
    await exchange(pool);
    expect(inside.conns()).toBe(1);
    pool.destroy();
  });

  it('queues a body written before the dialed socket came', async () => {
    const published = await serve(ok);
    let got = '';
    const inside = createServer((s) => {
      s.on('data', (d: Buffer) => {
        got += d.toString('latin1');
        if (got.endsWith('\r\n\r\nhello')) s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      });
    });
    servers.push(inside);
    await new Promise<void>((r) => inside.listen(0, '127.0.0.1', r));
    const pool = new UpstreamPool(() => published.port, 8);
    pool.useDialer(process.pid, (inside.address() as { port: number }).port);
    await exchange(pool);
    await until(() => pool.dialerReady);
    await exchange(pool);
    const r = new Recorder();
    let drained = 0;
    r.onUpstreamDrain = (): void => void drained++;
    const conn = pool.take();
    conn.send(r, 'PUT / HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\n', false, true);
    // Not connected yet: taken, but the exchange is to wait for drain.
    expect(conn.write(Buffer.from('hello'))).toBe(false);
    conn.bodyDone();
    await r.done;
    expect([r.status, r.body, got.startsWith('PUT / HTTP/1.1'), drained]).toEqual([200, 'ok', true, 1]);
    expect(pool.directCount).toBe(1);
    pool.destroy();
  });

  it('fails a request still waiting for its dialed socket when the pool goes', async () => {
    const published = await serve(ok);
    const inside = await serve(() => undefined);
    const pool = new UpstreamPool(() => published.port, 8);
    pool.useDialer(process.pid, inside.port);
    await exchange(pool);
    await until(() => pool.dialerReady);
    const r = new Recorder();
    pool.take().send(r, 'GET / HTTP/1.1\r\nhost: x\r\n\r\n', false, false);
    pool.destroy();
    await r.done;
    expect(r.error).toBe('ECONNRESET');
  });

  it('turns off when the first dial fails, sending the request to the published port', async () => {
    const published = await serve(ok);
    const closed = await serve(ok);
    servers.pop()!.close();
    const pool = new UpstreamPool(() => published.port, 8);
    const failures: string[] = [];
    pool.useDialer(process.pid, closed.port, (reason) => failures.push(reason));
    await exchange(pool);
    await until(() => pool.dialerReady);
    expect((await exchange(pool)).body).toBe('ok');
    expect((await exchange(pool)).body).toBe('ok');
    expect(failures).toEqual(['error ECONNREFUSED']);
    expect(pool.dialerReady).toBe(false);
    expect(published.conns()).toBe(2);
    pool.destroy();
  });

  it('fails at once for a process that is gone', () => {
    const pool = new UpstreamPool(() => 9, 8);
    const failures: string[] = [];
    pool.useDialer(2 ** 22 + 1, 80, (reason) => failures.push(reason));
    expect(failures[0]).toMatch(/ENOENT/);
    pool.destroy();
  });

  it('lets its helper exit when idle and starts it again on the next miss', async () => {
    const published = await serve((n, s) =>
      s.end(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-N: ${n}\r\n\r\nok`),
    );
    const inside = await serve((n, s) =>
      s.end(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-N: ${n}\r\n\r\nok`),
    );
    const pool = new UpstreamPool(() => published.port, 8);
    pool.useDialer(process.pid, inside.port, undefined, 300);
    await exchange(pool);
    await until(() => pool.dialerReady);
    await exchange(pool);
    expect(inside.conns()).toBe(1);
    await until(() => !pool.dialerReady);
    await exchange(pool);
    expect(published.conns()).toBe(2);
    await until(() => pool.dialerReady);
    await exchange(pool);
    expect(inside.conns()).toBe(2);
    pool.destroy();
  });
});
