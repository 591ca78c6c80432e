import { fileURLToPath } from 'node:url';
import { engineConformance } from '../src/runtime/conformance.ts';
import { tarDirectory } from '../src/runtime/index.ts';
import { PYTHON_IMAGE, DEBIAN_IMAGE, testEngine } from './engine.ts';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const sh = (script: string): { command: string[] } => ({ command: ['sh', '-c', script] });
const httpServer = [
  'import http.server, os',
  'class H(http.server.BaseHTTPRequestHandler):',
  '    def do_GET(self):',
  '        b = ("Hello %s!\\n" % os.environ.get("NAME", "World")).encode()',
  '        self.send_response(200)',
  '        self.send_header("content-length", str(len(b)))',
  '        self.end_headers()',
  '        self.wfile.write(b)',
  'http.server.HTTPServer(("", int(os.environ["PORT"])), H).serve_forever()',
].join('\n');

// The same cases as src/runtime/fake-engine.test.ts, against the real engine (Podman in CI).
engineConformance({
  name: 'real engine',
  engine: () => Promise.resolve(testEngine()),
  image: DEBIAN_IMAGE,
  httpImage: PYTHON_IMAGE,
  programs: {
    sleep: sh('trap "exit 143" TERM; while :; do sleep 1 & wait $!; done'),
    ignoreTerm: sh('trap "echo ignoring SIGTERM" TERM; while :; do sleep 1 & wait $!; done'),
    exit3: sh('echo out; echo err >&2; exit 3'),
    ticker: sh('i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.2; done'),
    allocate: sh('x=$(head -c 209715200 /dev/zero | tr "\\0" a); echo allocated ${#x}'),
    http: { command: ['python3', '-c', httpServer] },
  },
  helloPython: () => tarDirectory(`${fixtures}hello-python`),
  failing: () => tarDirectory(`${fixtures}failing-build`),
  slowBuildMs: 300_000,
});
