import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { get } from './client.ts';
import { useServing } from './harness.ts';

const PYTHON_IMAGE = 'docker.io/library/python:3.11-slim';

/**
 * A keep-alive Python app for the proxy's framing: POST /echo answers with the length and sha256 of
 * the body it read (Content-Length or chunked, as it came) and the framing it saw; GET /big streams
 * 8 MiB in chunked 64 KiB pieces; GET /drip writes a line every 100 ms and records when its client
 * went away (GET /dripped reports it); HEAD /echo answers a Content-Length without a body.
 */
const APP = `
import hashlib, os, signal, threading, time
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
state = {'dripped': 'running'}
class H(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def reply(self, body, ctype='text/plain'):
        self.send_response(200)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_HEAD(self):
        self.send_response(200)
        self.send_header('Content-Length', '5')
        self.end_headers()
    def do_POST(self):
        te = self.headers.get('Transfer-Encoding', '')
        data = b''
        if te == 'chunked':
            while True:
                size = int(self.rfile.readline().split(b';')[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b'\\r\\n', b'\\n', b''):
                        pass
                    break
                data += self.rfile.read(size)
                self.rfile.readline()
        else:
            data = self.rfile.read(int(self.headers.get('Content-Length', '0')))
        self.reply(('%s %d %s' % (te or 'length', len(data), hashlib.sha256(data).hexdigest())).encode())
    def do_GET(self):
        if self.path == '/big':
            self.send_response(200)
            self.send_header('Transfer-Encoding', 'chunked')
            self.end_headers()
            piece = bytes(range(256)) * 256
            for _ in range(128):
                self.wfile.write(b'%x\\r\\n%s\\r\\n' % (len(piece), piece))
            self.wfile.write(b'0\\r\\n\\r\\n')
        elif self.path == '/drip':
            self.send_response(200)
            self.send_header('Content-Type', 'text/plain')
            self.end_headers()
            self.close_connection = True
            try:
                for i in range(100):
                    self.wfile.write(b'line %d\\n' % i)
                    self.wfile.flush()
                    time.sleep(0.1)
                state['dripped'] = 'finished'
            except OSError:
                state['dripped'] = 'client gone'
        elif self.path == '/badheader':
            self.send_response(200)
            self.send_header('X-Bad', 'a\\x01b')
            self.send_header('Content-Length', '2')
            self.end_headers()
            self.wfile.write(b'no')
        elif self.path == '/dripped':
            self.reply(state['dripped'].encode())
        else:
            self.reply(b'ok\\n')
    def log_message(self, *a):
        pass
ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(('', int(os.environ['PORT'])), H).serve_forever()
`;

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A request whose body goes out in `pieces` writes without Content-Length (so chunked). */
function postChunked(port: number, host: string, pieces: Buffer[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/echo', method: 'POST', headers: { host }, agent: false },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(`${res.statusCode} ${body}`));
      },
    );
    req.on('error', reject);
    for (const p of pieces) req.write(p);
    req.end();
  });
}

describe('serving: streaming and framing through the ingress (real engine, Python app)', () => {
  it('forwards chunked and sized request bodies, big chunked responses, HEAD, and cancels on disconnect', async () => {
    const rig = await useServing();
    const { url } = await rig.deploy('stream', {
      image: PYTHON_IMAGE,
      command: ['python3', '-c', APP],
      concurrency: 10,
      memoryBytes: 256 * 1024 * 1024,
    });
    const host = new URL(url).host;

    // A chunked upload arrives re-chunked and whole.
    const pieces = Array.from({ length: 40 }, (_, i) => Buffer.alloc(10_000 + i, i));
    const all = Buffer.concat(pieces);
    expect(await postChunked(rig.port, host, pieces)).toBe(`200 chunked ${all.length} ${sha(all)}`);
    // A sized one goes as it came.
    const sized = await get(url, rig.port, '/echo', { method: 'POST', body: all });
    expect(sized.body).toBe(`length ${all.length} ${sha(all)}`);

    // 8 MiB chunked response, read whole (backpressure both ways on the way).
    const big = await new Promise<Buffer>((resolve, reject) => {
      request({ host: '127.0.0.1', port: rig.port, path: '/big', headers: { host }, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
      })
        .on('error', reject)
        .end();
    });
    const piece = Buffer.from(Array.from({ length: 256 * 256 }, (_, i) => i % 256));
    expect(big.length).toBe(128 * piece.length);
    expect(big.subarray(0, piece.length).equals(piece)).toBe(true);

    // HEAD: the Content-Length comes back, no body is waited for.
    const head = await get(url, rig.port, '/echo', { method: 'HEAD' });
    expect([head.status, head.headers['content-length'], head.body]).toEqual([200, '5', '']);

    // The client goes away mid-response: the upstream request is cancelled (the app's writes fail).
    const ac = new AbortController();
    const drip = get(url, rig.port, '/drip', { signal: ac.signal }).catch((e: Error) => e.name);
    await new Promise((r) => setTimeout(r, 500));
    ac.abort();
    expect(await drip).toBe('AbortError');
    let state = '';
    for (let i = 0; i < 50 && state !== 'client gone'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = (await get(url, rig.port, '/dripped')).body;
    }
    expect(state).toBe('client gone');

    // A header Node cannot write (a control character) is the instance's fault: 502, no crash.
    const bad = await get(url, rig.port, '/badheader');
    expect([bad.status, bad.body]).toEqual([
      502,
      'The instance sent a response header that cannot be forwarded.\n',
    ]);

    // The pool still serves after all that.
    expect((await get(url, rig.port, '/')).body).toBe('ok\n');
  });
});
