/**
 * bench/build: `tarmac builds submit` of the hello-python sample (pack, upload, build, push to the
 * built-in registry) against a plain `podman build` of the same folder, same run, both --no-cache,
 * after one warm-up of each (the first push uploads the base layers). Reports medians and the ratio.
 *   npx tsx bench/build/run.ts [rounds=3]
 * Uses TARMAC_ENGINE_HOST / DOCKER_HOST or the usual sockets, like `tarmac serve`.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/shared/index.ts';
import { startPlatform } from '../../src/platform.ts';

const run = promisify(execFile);
const rounds = Number(process.argv[2] ?? 3);
const sample = resolve(import.meta.dirname, '../../test/fixtures/hello-python');
const bin = resolve(import.meta.dirname, '../../bin/tarmac.mjs');
const home = mkdtempSync(join(tmpdir(), 'tarmac-bench-build-'));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const config = loadConfig({
  env: { TARMAC_ENGINE_HOST: process.env.TARMAC_ENGINE_HOST, DOCKER_HOST: process.env.DOCKER_HOST },
  overrides: { home, ports: { ingress: 0, api: 0, registry: 0, metadata: 0 }, logLevel: 'silent' },
});
const p = await startPlatform(config, { logger: silentLogger() });
const plainTag = `localhost/tarmac-bench-plain-${process.pid}:latest`;

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

function submit(): Promise<void> {
  return new Promise((ok, fail) => {
    const env = { ...process.env, TARMAC_HOME: home, TARMAC_CONFIG_DIR: join(home, 'cli-config') };
    const tag = `gcr.io/${config.defaultProject}/bench`;
    const child = spawn(process.execPath, [bin, 'builds', 'submit', sample, '--tag', tag, '--no-cache'], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) =>
      code === 0 ? ok() : fail(new Error(`builds submit exited ${code}: ${err}`)),
    );
  });
}

const plain = (): Promise<void> =>
  run('podman', ['build', '--no-cache', '-q', '-t', plainTag, sample]).then(() => undefined);

try {
  await plain();
  await submit();
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < rounds; i++) {
    a.push(await timed(plain));
    b.push(await timed(submit));
  }
  const ma = median(a);
  const mb = median(b);
  console.log(`bench/build: hello-python, --no-cache, ${rounds} rounds after a warm-up, medians`);
  console.log(
    `podman build (plain, no push)                   ${ma.toFixed(2)} s   [${a.map((x) => x.toFixed(2)).join(', ')}]`,
  );
  console.log(
    `tarmac builds submit (pack+upload+build+push)   ${mb.toFixed(2)} s   [${b.map((x) => x.toFixed(2)).join(', ')}]`,
  );
  console.log(`ratio submit / plain = ${(mb / ma).toFixed(2)} (target <= 1.2)`);
  // Where a submit's time goes: the server's phase timings of the measured builds (latest first).
  const span = (t?: { startTime?: string; endTime?: string }): string =>
    t?.startTime && t.endTime ? (Date.parse(t.endTime) - Date.parse(t.startTime)) / 1000 + ' s' : '-';
  for (const b of p.builds.list(config.defaultProject).builds.slice(0, rounds)) {
    const queued = b.startTime ? (Date.parse(b.startTime) - Date.parse(b.createTime)) / 1000 : NaN;
    const timing = b.timing as Record<string, { startTime?: string; endTime?: string }> | undefined;
    console.log(
      `  build ${b.id.slice(0, 8)}: queued ${queued} s, FETCHSOURCE ${span(timing?.FETCHSOURCE)}, ` +
        `BUILD ${span(timing?.BUILD)}, PUSH ${span(timing?.PUSH)}, ` +
        `start->finish ${span({ startTime: b.startTime, endTime: b.finishTime })}`,
    );
  }
} finally {
  await run('podman', ['rmi', '-f', plainTag]).catch(() => undefined);
  await p.dispose();
  rmSync(home, { recursive: true, force: true });
}
