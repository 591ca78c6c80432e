/**
 * bench/serving (a): proxy overhead. Requests/s and p50/p99 latency to the same container through
 * tarmac's ingress, directly on its published 127.0.0.1 port, and through Debian's nginx as a
 * reverse proxy (keep-alive upstream), with wrk, in one run. The app is a small Python HTTP/1.1
 * keep-alive server (stdlib ThreadingHTTPServer with TCP_NODELAY as gunicorn sets it, on
 * python:3.11-slim); busybox httpd closes every connection, which caps every path at the same
 * rate and hides the proxy.
 *   npx tsx bench/serving/proxy.ts [seconds=10] [connections=32]
 * Needs wrk and nginx (apt-get install wrk nginx-light), the test engine and the bootstrapped
 * python:3.11-slim image.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startRig } from '../../test/serving/rig.ts';

const run = promisify(execFile);
const PYTHON_IMAGE = 'docker.io/library/python:3.11-slim';
const APP = `
import os, signal
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
class H(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    disable_nagle_algorithm = True
    def do_GET(self):
        body = b'ok\\n'
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(('', int(os.environ['PORT'])), H).serve_forever()
`;
const seconds = Number(process.argv[2] ?? 10);
const connections = Number(process.argv[3] ?? 32);

interface Result {
  rps: number;
  p50: number;
  p99: number;
}

function ms(v: string, unit: string): number {
  const n = Number(v);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : n;
}

async function wrk(url: string, host?: string): Promise<Result> {
  const args = ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency', url];
  if (host) args.push('-H', `Host: ${host}`);
  const { stdout } = await run('wrk', args, { maxBuffer: 1 << 20 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0);
  const p50 = /50%\s+([\d.]+)(us|ms|s)/.exec(stdout);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(stdout);
  return { rps, p50: p50 ? ms(p50[1]!, p50[2]!) : NaN, p99: p99 ? ms(p99[1]!, p99[2]!) : NaN };
}

async function startNginx(upstreamPort: number): Promise<{ port: number; stop: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'tarmac-bench-nginx-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const conf = `worker_processes auto; pid ${dir}/nginx.pid; error_log ${dir}/error.log; daemon off;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path ${dir}; proxy_temp_path ${dir};
  upstream app { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  server { listen 127.0.0.1:${port};
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header Host $host; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; } } }`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = spawn('nginx', ['-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  return { port, stop: () => child.kill('SIGTERM') };
}

const rig = await startRig({});
try {
  const { url, spec } = await rig.deploy('bench', {
    image: PYTHON_IMAGE,
    command: ['python3', '-c', APP],
    concurrency: 1000,
    minInstances: 1,
    maxInstances: 1,
    memoryBytes: 256 * 1024 * 1024,
  });
  const upstream = await rig.hostPort(spec.name);
  const nginx = await startNginx(upstream);
  const host = new URL(url).host;
  try {
    // Warm every path once, then measure back to back.
    await wrk(`http://127.0.0.1:${upstream}/`).catch(() => undefined);
    const direct = await wrk(`http://127.0.0.1:${upstream}/`);
    const ingress = await wrk(`http://127.0.0.1:${rig.port}/`, host);
    const viaNginx = await wrk(`http://127.0.0.1:${nginx.port}/`, host);
    const f = (r: Result): string =>
      `${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`;
    console.log(
      `wrk -t2 -c${connections} -d${seconds}s, upstream Python ThreadingHTTPServer, HTTP/1.1 keep-alive`,
    );
    console.log(`direct  : ${f(direct)}`);
    console.log(`ingress : ${f(ingress)}`);
    console.log(`nginx   : ${f(viaNginx)}`);
    console.log(`ratio ingress/direct throughput = ${(ingress.rps / direct.rps).toFixed(2)} (target >= 0.6)`);
    console.log(
      `ratio ingress/nginx  throughput = ${(ingress.rps / viaNginx.rps).toFixed(2)} (target >= 1.0)`,
    );
    console.log(`added p50 latency vs direct = ${(ingress.p50 - direct.p50).toFixed(2)} ms`);
  } finally {
    nginx.stop();
  }
} finally {
  await rig.dispose();
}
