/** wrk runs and the keep-alive Python app for bench/serving measurements (output parsing only). */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const PYTHON_IMAGE = 'docker.io/library/python:3.11-slim';

/** A stdlib HTTP/1.1 keep-alive server answering "ok" (busybox httpd closes every connection). */
export const PYTHON_APP = `
import os, signal
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
class H(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
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

export interface WrkResult {
  rps: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
}

function ms(v: string, unit: string): number {
  const n = Number(v);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : n;
}

/** One wrk run (2 threads) against a 127.0.0.1 URL, optionally with a Host header. */
export async function wrk(
  url: string,
  o: { host?: string; seconds: number; connections: number },
): Promise<WrkResult> {
  const args = ['-t2', `-c${o.connections}`, `-d${o.seconds}s`, '--latency', url];
  if (o.host) args.push('-H', `Host: ${o.host}`);
  const { stdout } = await run('wrk', args, { maxBuffer: 1 << 20 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0);
  const p50 = /50%\s+([\d.]+)(us|ms|s)/.exec(stdout);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(stdout);
  return { rps, p50: p50 ? ms(p50[1]!, p50[2]!) : NaN, p99: p99 ? ms(p99[1]!, p99[2]!) : NaN };
}
