/**
 * bench/registry: push and pull throughput of a ~200 MB image in several random layers, against
 * tarmac's registry and Debian's docker-registry (CNCF distribution) on 127.0.0.1 in the same run, with
 * the same client (skopeo). Prints MB/s per registry and the tarmac/distribution ratios (best and
 * median of the rounds).
 *
 * Fairness: each round pushes the same fresh image to both, alternating who goes first; before every
 * timed push or pull the page cache's dirty data is written back (`sync`, untimed), so no step pays for
 * the write-back of the image generated before it or of the previous pull; one small untimed push and
 * pull per registry first warms up both servers and the client's connections.
 *
 *   npx tsx bench/registry/run.ts [--mb 200] [--layers 5] [--rounds 2] [--profile DIR]
 *
 * --profile writes a V8 CPU profile of the tarmac process to DIR (open it in Chrome DevTools).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';

const run = promisify(execFile);
const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
let MB = arg('mb', 200);
let LAYERS = arg('layers', 5);
const ROUNDS = arg('rounds', 2);
const PROFILE = process.argv.includes('--profile')
  ? process.argv[process.argv.indexOf('--profile') + 1]
  : undefined;

const work = mkdtempSync(join(tmpdir(), 'tarmac-bench-registry-'));
const children: ChildProcess[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** An OCI layout with LAYERS gzip layers of random bytes, MB in total. */
function makeImage(dir: string): number {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (data: Buffer): { digest: string; size: number } => {
    const hex = createHash('sha256').update(data).digest('hex');
    writeFileSync(join(dir, 'blobs', 'sha256', hex), data);
    return { digest: `sha256:${hex}`, size: data.length };
  };
  const layers = [];
  const diffIds = [];
  let total = 0;
  for (let i = 0; i < LAYERS; i++) {
    const raw = randomBytes(Math.floor((MB * 1024 * 1024) / LAYERS));
    const gz = gzipSync(raw, { level: 1 });
    diffIds.push(`sha256:${createHash('sha256').update(raw).digest('hex')}`);
    layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...put(gz) });
    total += gz.length;
  }
  const config = put(
    Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } }),
    ),
  );
  const manifest = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers,
      }),
    ),
  );
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest }],
    }),
  );
  return total;
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not come up`);
}

interface Reg {
  host: string;
  creds: string[];
  pid: number;
}

/** CPU seconds (user + system, all threads) a process has used so far. */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

async function startTarmac(): Promise<Reg> {
  const port = await freePort();
  const home = join(work, 'tarmac-home');
  const prof = PROFILE ? ['--cpu-prof', '--cpu-prof-dir', PROFILE] : [];
  const child = spawn(
    process.execPath,
    [...prof, '--import', 'tsx', join(import.meta.dirname, 'serve.ts'), home, String(port)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(d.toString()));
    child.once('exit', (code) => reject(new Error(`tarmac exited (${code}) before it was ready`)));
  });
  const { token } = JSON.parse(line) as { token: string };
  await waitFor(`http://127.0.0.1:${port}/healthz`);
  return { host: `127.0.0.1:${port}`, creds: [`x:${token}`], pid: child.pid! };
}

async function startDistribution(): Promise<Reg> {
  const port = await freePort();
  const cfg = join(work, 'distribution.yml');
  writeFileSync(
    cfg,
    [
      'version: 0.1',
      'log: { level: error, accesslog: { disabled: true } }',
      `storage: { filesystem: { rootdirectory: ${join(work, 'distribution')} }, delete: { enabled: true } }`,
      `http: { addr: 127.0.0.1:${port} }`,
      '',
    ].join('\n'),
  );
  const child = spawn('docker-registry', ['serve', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  // It logs the 404 of every blob HEAD (each push asks first) at error level: drop those lines.
  child.stderr!.on('data', (d: Buffer) => {
    const lines = d
      .toString()
      .split('\n')
      .filter((l) => l && !l.includes('response completed with error'));
    if (lines.length) process.stderr.write(`${lines.join('\n')}\n`);
  });
  child.once('exit', (code) => {
    if (code !== null && code !== 0) console.error(`docker-registry exited with ${code}`);
  });
  await waitFor(`http://127.0.0.1:${port}/v2/`);
  return { host: `127.0.0.1:${port}`, creds: [], pid: child.pid! };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/** Seconds `fn` takes, and the CPU seconds the registry process spent meanwhile. */
async function timedCpu(pid: number, fn: () => Promise<unknown>): Promise<{ s: number; cpu: number }> {
  const c0 = cpuOf(pid);
  const s = await timed(fn);
  return { s, cpu: cpuOf(pid) - c0 };
}

/** Writes back every dirty page (untimed), so a timed step starts with a clean page cache. */
const settle = (): Promise<unknown> => run('sync');

async function measure(name: string, reg: Reg, image: string, round: number | string) {
  const ref = `docker://${reg.host}/tarmac-project/bench${round}:1`;
  const dest = reg.creds.length ? ['--dest-creds', reg.creds[0]!] : [];
  const src = reg.creds.length ? ['--src-creds', reg.creds[0]!] : [];
  await settle();
  const push = await timedCpu(reg.pid, () =>
    run('skopeo', ['copy', '-q', '--dest-tls-verify=false', ...dest, `oci:${image}`, ref]),
  );
  const out = join(work, `pull-${name}-${round}`);
  await settle();
  const pull = await timedCpu(reg.pid, () =>
    run('skopeo', ['copy', '-q', '--src-tls-verify=false', ...src, ref, `dir:${out}`]),
  );
  rmSync(out, { recursive: true, force: true });
  return { push, pull };
}

async function main(): Promise<void> {
  const [tarmac, dist] = await Promise.all([startTarmac(), startDistribution()]);
  // Warm-up (untimed): a small image through both registries.
  const [mb, layers] = [MB, LAYERS];
  [MB, LAYERS] = [4, 2];
  const warm = join(work, 'warm');
  makeImage(warm);
  for (const [name, reg] of [
    ['tarmac', tarmac],
    ['distribution', dist],
  ] as const) {
    await measure(name, reg, warm, 'warm');
  }
  rmSync(warm, { recursive: true, force: true });
  [MB, LAYERS] = [mb, layers];
  let bytes = 0;
  const times = {
    tarmac: { push: [] as number[], pull: [] as number[] },
    distribution: { push: [] as number[], pull: [] as number[] },
  };
  for (let round = 0; round < ROUNDS; round++) {
    // Fresh random layers each round: clients would otherwise mount blobs pushed in an earlier round.
    const image = join(work, `image${round}`);
    bytes = makeImage(image);
    // Alternate who goes first so page cache and machine load favour neither.
    const order =
      round % 2 === 0 ? (['tarmac', 'distribution'] as const) : (['distribution', 'tarmac'] as const);
    for (const name of order) {
      const r = await measure(name, name === 'tarmac' ? tarmac : dist, image, round);
      times[name].push.push(r.push.s);
      times[name].pull.push(r.pull.s);
      console.log(
        `round ${round} ${name}: push ${r.push.s.toFixed(2)} s (server CPU ${r.push.cpu.toFixed(2)} s), ` +
          `pull ${r.pull.s.toFixed(2)} s (server CPU ${r.pull.cpu.toFixed(2)} s)`,
      );
    }
    rmSync(image, { recursive: true, force: true });
  }
  const mbps = (s: number): string => (bytes / 1024 / 1024 / s).toFixed(1);
  console.log(
    `image: ${(bytes / 1024 / 1024).toFixed(0)} MB in ${LAYERS} layers, ${ROUNDS} rounds, client skopeo`,
  );
  for (const [label, pick] of [
    ['best', (xs: number[]) => Math.min(...xs)],
    ['median', median],
  ] as const) {
    const t = (name: 'tarmac' | 'distribution', op: 'push' | 'pull'): number => pick(times[name][op]);
    for (const name of ['tarmac', 'distribution'] as const) {
      console.log(`${label} ${name}: push ${mbps(t(name, 'push'))} MB/s, pull ${mbps(t(name, 'pull'))} MB/s`);
    }
    for (const op of ['push', 'pull'] as const) {
      console.log(
        `ratio tarmac/distribution (${label}): ${op} ${(t('distribution', op) / t('tarmac', op)).toFixed(2)}`,
      );
    }
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

main()
  .catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const c of children) c.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  });
