import { fileURLToPath } from 'node:url';
import { engineConformance } from '../src/runtime/conformance.ts';
import { tarDirectory } from '../src/runtime/index.ts';
import { TEST_IMAGE, testEngine } from './engine.ts';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const sh = (script: string): { command: string[] } => ({ command: ['sh', '-c', script] });

// The same cases as src/runtime/fake-engine.test.ts, against the real engine (Podman in CI).
engineConformance({
  name: 'real engine',
  engine: () => Promise.resolve(testEngine()),
  image: TEST_IMAGE,
  httpImage: TEST_IMAGE,
  programs: {
    sleep: sh('trap "exit 143" TERM; while :; do sleep 1 & wait $!; done'),
    ignoreTerm: sh('trap "echo ignoring SIGTERM" TERM; while :; do sleep 1 & wait $!; done'),
    exit3: sh('echo out; echo err >&2; exit 3'),
    ticker: sh('i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.2; done'),
    allocate: sh('x=$(head -c 209715200 /dev/zero | tr "\\0" a); echo allocated ${#x}'),
    http: sh(
      'mkdir -p /tmp/www && echo "Hello $NAME!" > /tmp/www/index.html && exec httpd -f -p "$PORT" -h /tmp/www',
    ),
  },
  helloPython: () => tarDirectory(`${fixtures}hello-python`),
  failing: () => tarDirectory(`${fixtures}failing-build`),
  slowBuildMs: 300_000,
});
