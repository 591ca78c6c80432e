/**
 * What the bench/serving measurements share: the keep-alive Python app they deploy, one wrk run and
 * its parsing, percentiles, and the CPU each process used (to say where the time went).
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import type { RevisionRuntimeSpec } from '../../src/model/index.ts';
import type { Deployed, Rig } from '../../test/serving/rig.ts';

const run = promisify(execFile);

export const PYTHON_IMAGE = 'docker.io/library/python:3.11-slim';

/**
 * A stdlib HTTP/1.1 keep-alive server answering "ok" with TCP_NODELAY, as gunicorn sets it (busybox
 * httpd closes every connection, which caps every path at the same rate and hides the proxy).
 */
export const PYTHON_APP = `
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

/** Deploys the Python app on a rig (one instance unless `over` says otherwise). */
export function deployPythonApp(
  rig: Rig,
  service: string,
  over: Partial<RevisionRuntimeSpec> = {},
): Promise<Deployed> {
  return rig.deploy(service, {
    image: PYTHON_IMAGE,
    command: ['python3', '-c', PYTHON_APP],
    concurrency: 1000,
    minInstances: 1,
    maxInstances: 1,
    memoryBytes: 256 * 1024 * 1024,
    ...over,
  });
}

export interface WrkResult {
  rps: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
  requests: number;
}

function ms(v: string, unit: string): number {
  const n = Number(v);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : n;
}

/** Parses wrk's --latency output. */
export function parseWrk(stdout: string): WrkResult {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0);
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0);
  const p50 = /50%\s+([\d.]+)(us|ms|s)/.exec(stdout);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(stdout);
  return {
    rps,
    requests,
    p50: p50 ? ms(p50[1]!, p50[2]!) : NaN,
    p99: p99 ? ms(p99[1]!, p99[2]!) : NaN,
  };
}

/** One wrk run (2 threads unless said) against a 127.0.0.1 URL, optionally with a Host header. */
export async function wrk(
  url: string,
  o: { host?: string; seconds: number; connections: number; threads?: number },
): Promise<WrkResult> {
  const args = [`-t${o.threads ?? 2}`, `-c${o.connections}`, `-d${o.seconds}s`, '--latency', url];
  if (o.host) args.push('-H', `Host: ${o.host}`);
  const { stdout } = await run('wrk', args, { maxBuffer: 1 << 20 });
  return parseWrk(stdout);
}

/** "N req/s, p50 X ms, p99 Y ms" */
export function formatWrk(r: WrkResult): string {
  return `${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`;
}

/** The p-th percentile (nearest rank) of `xs`. */
export function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** CPU ticks (user + system, 1/100 s) per process name, summed over every process of that name. */
export function cpuTicks(names: string[]): Map<string, number> {
  const out = new Map<string, number>(names.map((n) => [n, 0]));
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const name = names.find((n) => comm === n || comm.startsWith(`${n}:`));
    if (!name) continue;
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(name, out.get(name)! + Number(f[11]) + Number(f[12]));
  }
  return out;
}

/**
 * Runs `fn` and reports the CPU used during it in microseconds per request (`requests` from the
 * result): this process ("tarmac": the ingress runs in the bench process) and every process with
 * one of `names` (machine-wide, so other work on the machine can inflate them).
 */
export async function withCpu<T extends { requests: number }>(
  names: string[],
  fn: () => Promise<T>,
): Promise<{ result: T; cpu: string }> {
  const before = cpuTicks(names);
  const self = process.cpuUsage();
  const result = await fn();
  const own = process.cpuUsage(self);
  const after = cpuTicks(names);
  const n = Math.max(1, result.requests);
  const parts = [`tarmac ${((own.user + own.system) / n).toFixed(0)} us`];
  for (const name of names) {
    const us = ((after.get(name)! - before.get(name)!) * 10_000) / n;
    if (us > 0) parts.push(`${name} ${us.toFixed(0)} us`);
  }
  return { result, cpu: parts.join(', ') };
}

/**
 * Starts Debian's nginx as a keep-alive reverse proxy to `upstreamPort` on a free-ish port. It adds
 * the same request headers the ingress must add (X-Forwarded-For/Proto/Host, traceparent,
 * X-Cloud-Trace-Context), so the upstream parses the same head from both and the comparison is of
 * the proxies' work alone (the Python app spends ~40 us more per request on four more headers).
 */
export async function startNginx(
  dir: string,
  upstreamPort: number,
): Promise<{ port: number; stop: () => void }> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const conf = `worker_processes auto; pid ${dir}/nginx.pid; error_log ${dir}/error.log; daemon off;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path ${dir}; proxy_temp_path ${dir};
  upstream app { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  map $request_id $span { "~^(?<s>[0-9a-f]{16})" $s; }
  server { listen 127.0.0.1:${port};
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header Host $host; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme; proxy_set_header X-Forwarded-Host $host;
      proxy_set_header traceparent "00-$request_id-$span-01";
      proxy_set_header X-Cloud-Trace-Context "$request_id/1;o=1"; } } }`;
  writeFileSync(`${dir}/nginx.conf`, conf);
  const child = spawn('nginx', ['-c', `${dir}/nginx.conf`], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  return { port, stop: () => child.kill('SIGTERM') };
}
