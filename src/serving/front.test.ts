import { createServer as createHttpServer } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, SystemClock, type Clock } from '../shared/index.ts';
import type { Downstream, DownstreamEvents } from './downstream.ts';
import { KEEP_ALIVE_MS } from './front-request.ts';
import { IngressServer } from './front.ts';

/** What a test's app does with a request the front parsed. */
type App = (d: Downstream) => void;

const open: IngressServer[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** An IngressServer on 127.0.0.1 with `app` for its own requests and a Node server for the rest. */
async function start(
  app: App,
  clock: Clock = new SystemClock(),
): Promise<{ port: number; server: IngressServer }> {
  const fallback = createHttpServer((req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => res.end(`fallback ${req.method} ${req.url} HTTP/${req.httpVersion} ${n}`));
  });
  fallback.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 101 Switching Protocols\r\n\r\nupgraded'));
  const server = new IngressServer(app, fallback, clock);
  open.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, server };
}

/** A raw client: sends bytes, collects everything received. */
async function client(port: number): Promise<{ s: Socket; got: () => string; closed: Promise<void> }> {
  const s = connect(port, '127.0.0.1');
  let text = '';
  s.on('data', (b: Buffer) => (text += b.toString('latin1')));
  const closed = new Promise<void>((r) => s.on('close', () => r()));
  await new Promise((r) => s.once('connect', r));
  return { s, got: () => text, closed };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

const responses = (text: string): number => text.split('HTTP/1.1 ').length - 1;

function sized(d: Downstream, status: number, body: string, extra: string[] = []): void {
  const b = Buffer.from(body);
  d.writeHead(
    status,
    '',
    ['content-type', 'text/plain', 'content-length', String(b.length), ...extra],
    String(b.length),
  );
  d.end(b);
}

/** An app answering with the method, URL and body length it got. */
const echo: App = (d) => {
  let n = 0;
  const ev: DownstreamEvents = {
    requestData: (c) => (n += c.length),
    requestEnd: () => sized(d, 200, `${d.method} ${d.url} ${n} ${d.headers['x-test'] ?? ''}`),
    clientClosed: () => undefined,
    clientDrained: () => undefined,
  };
  d.attach(ev);
  if (d.headers['content-length'] === undefined) return ev.requestEnd();
  d.readBody();
};

describe('ingress front: the own HTTP/1.1 listener', () => {
  it('answers requests on a kept-alive connection, pipelined ones in order, bodies split anywhere', async () => {
    const { port } = await start(echo);
    const c = await client(port);
    c.s.write('GET /a HTTP/1.1\r\nHost: h\r\nX-Test:  v1 \r\n\r\n');
    await until(() => c.got().includes('GET /a 0 v1'), 'first');
    expect(c.got()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(c.got()).toMatch(/\r\ndate: .+ GMT\r\n/);
    expect(c.got()).toContain('connection: keep-alive\r\nkeep-alive: timeout=5\r\n\r\n');
    // Two pipelined requests in one write, the second with a body split across writes.
    c.s.write(
      'GET /b HTTP/1.1\r\nHost: h\r\n\r\nPOST /c HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n012',
    );
    await new Promise((r) => setTimeout(r, 30));
    c.s.write('3456789');
    await until(() => c.got().includes('POST /c 10'), 'pipelined');
    expect(c.got().indexOf('GET /b 0')).toBeLessThan(c.got().indexOf('POST /c 10'));
    expect(responses(c.got())).toBe(3);
    // A head arriving a few bytes at a time, its end split across pieces.
    c.s.setNoDelay(true);
    const dribbled = 'GET /d HTTP/1.1\r\nHost: h\r\nX-Test: slow\r\n\r\n';
    for (let i = 0; i < dribbled.length; i += 3) {
      c.s.write(dribbled.slice(i, i + 3));
      await new Promise((r) => setTimeout(r, 2));
    }
    await until(() => c.got().includes('GET /d 0 slow'), 'dribbled head');
    expect(responses(c.got())).toBe(4);
    c.s.destroy();
  });

  it('frames a body of unknown length as chunks, sends none for HEAD, 204 and 304', async () => {
    const { port } = await start((d) => {
      if (d.url === '/chunked') {
        d.writeHead(200, 'Fine', ['x-a', '1'], undefined);
        d.write(Buffer.from('hello '));
        d.write(Buffer.alloc(5000, 'x'));
        d.end(Buffer.from('!'));
      } else if (d.url === '/204') {
        d.writeHead(204, '', [], undefined);
        d.end(Buffer.from('ignored'));
      } else sized(d, 200, 'body');
    });
    const c = await client(port);
    c.s.write('GET /chunked HTTP/1.1\r\nHost: h\r\n\r\n');
    await until(() => c.got().endsWith('0\r\n\r\n'), 'chunked end');
    const [head, body] = c.got().split('\r\n\r\n', 2) as [string, string];
    expect(head).toMatch(/^HTTP\/1\.1 200 Fine\r\n/);
    expect(head).toContain('transfer-encoding: chunked');
    const rest = c.got().slice(head.length + 4);
    expect(body.startsWith('6\r\nhello \r\n')).toBe(true);
    expect(rest).toBe(`6\r\nhello \r\n1388\r\n${'x'.repeat(5000)}\r\n1\r\n!\r\n0\r\n\r\n`);
    const h = await client(port);
    h.s.write(
      'HEAD /sized HTTP/1.1\r\nHost: h\r\n\r\nGET /204 HTTP/1.1\r\nHost: h\r\n\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n',
    );
    await until(() => h.got().endsWith('body'), 'three answers');
    const parts = h.got().split('HTTP/1.1 ').slice(1);
    expect(parts[0]).toMatch(/^200 OK\r\n[\s\S]*content-length: 4\r\n[\s\S]*\r\n\r\n$/);
    expect(parts[1]).toMatch(/^204 No Content\r\n[\s\S]*\r\n\r\n$/);
    expect(parts[1]).not.toContain('transfer-encoding');
    c.s.destroy();
    h.s.destroy();
  });

  it('closes after the response when asked, or when the body was not all read', async () => {
    const { port } = await start((d) => sized(d, 200, 'early'));
    const a = await client(port);
    a.s.write('GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
    await a.closed;
    expect(a.got()).toContain('connection: close\r\n\r\nearly');
    const b = await client(port);
    b.s.write('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nabc');
    await until(() => b.got().includes('early'), 'early answer');
    expect(b.got()).toContain('connection: close');
    b.s.end();
    await b.closed;
  });

  it("hands what it does not serve to Node's server, with the bytes read so far", async () => {
    const { port } = await start(echo);
    const cases: [string, RegExp][] = [
      [
        'POST /te HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
        /fallback POST \/te HTTP\/1\.1 3$/,
      ],
      ['GET /old HTTP/1.0\r\nHost: h\r\n\r\n', /fallback GET \/old HTTP\/1\.0 0$/],
      ['GET /dup HTTP/1.1\r\nHost: h\r\nHost: h\r\n\r\n', /fallback GET \/dup HTTP\/1\.1 0$/],
      ['GET /fold HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n', /^HTTP\/1\.1 400/],
      [`GET /big HTTP/1.1\r\nHost: h\r\nX: ${'a'.repeat(17000)}\r\n\r\n`, /^HTTP\/1\.1 431/],
      [
        'GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
        /101 Switching Protocols\r\n\r\nupgraded$/,
      ],
    ];
    for (const [req, want] of cases) {
      const c = await client(port);
      // Served here first, then handed over for the rest of the connection.
      c.s.write('GET /first HTTP/1.1\r\nHost: h\r\n\r\n');
      await until(() => c.got().includes('GET /first 0'), 'first');
      const before = c.got().length;
      c.s.write(req);
      await until(() => want.test(c.got().slice(before)), `${req.slice(0, 20)} answered`);
      c.s.destroy();
    }
    // Expect: 100-continue goes to Node, which sends the interim response.
    const e = await client(port);
    e.s.write('POST /e HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n');
    await until(() => e.got().includes('100 Continue'), '100 Continue');
    e.s.write('ok');
    await until(() => e.got().includes('fallback POST /e HTTP/1.1 2'), 'fallback answer');
    e.s.destroy();
  });

  it('tells the request when its client goes away, refuses a header it cannot forward', async () => {
    let closed = 0;
    let accepted: boolean | undefined;
    const { port } = await start((d) => {
      d.attach({
        requestData: () => {},
        requestEnd: () => {},
        clientClosed: () => closed++,
        clientDrained: () => {},
      });
      if (d.url === '/bad') {
        accepted = d.writeHead(200, '', ['x-bad', 'a\nb'], '0');
        sized(d, 502, 'refused');
      }
    });
    const c = await client(port);
    c.s.write('GET /bad HTTP/1.1\r\nHost: h\r\n\r\n');
    await until(() => c.got().includes('refused'), 'refusal');
    expect(accepted).toBe(false);
    expect(c.got()).not.toContain('x-bad');
    expect(closed).toBe(1);
    c.s.write('GET /hang HTTP/1.1\r\nHost: h\r\n\r\n');
    await new Promise((r) => setTimeout(r, 30));
    c.s.destroy();
    await until(() => closed === 2, 'clientClosed on disconnect');
  });

  it('closes idle connections after the keep-alive time, never one with a request in progress', async () => {
    const clock = new FakeClock();
    let hold: Downstream | undefined;
    const { port, server } = await start(
      (d) => (d.url === '/hold' ? (hold = d) : sized(d, 200, 'ok')),
      clock,
    );
    const idle = await client(port);
    idle.s.write('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
    await until(() => idle.got().endsWith('ok'), 'answer');
    const busy = await client(port);
    busy.s.write('GET /hold HTTP/1.1\r\nHost: h\r\n\r\n');
    await until(() => hold !== undefined, 'held request');
    clock.advance(KEEP_ALIVE_MS + 1000);
    await idle.closed;
    expect(busy.s.destroyed).toBe(false);
    sized(hold!, 200, 'late');
    await until(() => busy.got().endsWith('late'), 'late answer');
    // Shutdown: idle connections close at once.
    server.closeIdleConnections();
    await busy.closed;
  });
});
