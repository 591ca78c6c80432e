import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.ts';
import { silentLogger } from '../src/shared/index.ts';
import { LABEL_KIND, connectEngine, managedLabels } from '../src/runtime/index.ts';
import { stopPlatform, tempHome, usePlatform } from './harness.ts';
import { DEBIAN_IMAGE, testEngine, testEngineHost } from './engine.ts';

const bin = fileURLToPath(new URL('../bin/tarmac.mjs', import.meta.url));

async function sleeper(labels: Record<string, string>): Promise<string> {
  const id = await testEngine().create({
    name: `tarmac-life-${Math.random().toString(36).slice(2, 10)}`,
    image: DEBIAN_IMAGE,
    command: ['sleep', '300'],
    labels: { ...labels, [LABEL_KIND]: 'test' },
  });
  await testEngine().start(id);
  return id;
}

function serveChild(home: string): { child: ChildProcess; ready: Promise<string> } {
  const child = spawn(
    process.execPath,
    [bin, 'serve', '--home', home, '--ingress-port', '0', '--api-port', '0', '--registry-port', '0'],
    {
      env: { ...process.env, TARMAC_ENGINE_HOST: testEngineHost(), TARMAC_LOG_LEVEL: 'warn' },
      stdio: 'pipe',
    },
  );
  let out = '';
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('registry')) resolve(out);
    });
    child.on('exit', (code) => reject(new Error(`tarmac exited early (${code ?? 'signal'}): ${out}`)));
  });
  return { child, ready };
}

function installationId(home: string): string {
  const db = new Database(`${home}/tarmac.db`, { readonly: true });
  try {
    return (db.prepare(`SELECT value FROM meta WHERE key = 'installation_id'`).get() as { value: string })
      .value;
  } finally {
    db.close();
  }
}

// Real processes and the real engine on a shared, slow machine: generous time limits.
describe('engine lifecycle of the platform', { timeout: 180_000 }, () => {
  it('gives the platform the real engine and removes only its own orphans on start', async () => {
    const home = tempHome();
    const first = await usePlatform({ home });
    expect((await first.engine.info()).memoryLimit).toBe(true);
    const own = await sleeper(managedLabels(first.installationId));
    const foreign = await sleeper(managedLabels('someone-else'));
    try {
      await stopPlatform(first);
      const second = await usePlatform({ home });
      await expect(second.engine.inspect(own)).rejects.toMatchObject({ reason: 'CONTAINER_NOT_FOUND' });
      expect((await second.engine.inspect(foreign)).running).toBe(true);
    } finally {
      await testEngine().remove(own);
      await testEngine().remove(foreign);
    }
  });

  it('after a SIGKILL of tarmac, the next start removes the containers it had labelled', async () => {
    const home = tempHome();
    const first = serveChild(home);
    await first.ready;
    const id = installationId(home);
    const orphan = await sleeper(managedLabels(id));
    const exited = new Promise((r) => first.child.on('exit', r));
    first.child.kill('SIGKILL');
    await exited;
    expect((await testEngine().inspect(orphan)).running).toBe(true);
    const p = await usePlatform({ home });
    expect(p.installationId).toBe(id);
    await expect(testEngine().inspect(orphan)).rejects.toMatchObject({ reason: 'CONTAINER_NOT_FOUND' });
  });

  it('drains on SIGTERM and SIGINT, exits 0, and starts again on the same home', async () => {
    const home = tempHome();
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const s = serveChild(home);
      await s.ready;
      const code = new Promise<number | null>((r) => s.child.on('exit', (c) => r(c)));
      s.child.kill(signal);
      expect(await code).toBe(0);
    }
    expect(installationId(home)).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('engine provisioning (real podman, own socket)', { timeout: 120_000 }, () => {
  it('starts its own podman service under TARMAC_HOME when no engine is found, and stops it on dispose', async () => {
    const home = tempHome();
    const config = loadConfig({ env: {}, overrides: { home, engine: { host: '', provision: true } } });
    const conn = await connectEngine(config, silentLogger(), { candidates: [] });
    try {
      expect(conn.provisioned).toBe(true);
      expect(conn.host).toBe(`unix://${home}/engine/podman.sock`);
      expect((await conn.engine.info()).name).toBe('podman');
    } finally {
      await conn.dispose();
    }
    const noProvision = { ...config, engine: { ...config.engine, host: '', provision: false } };
    const again = await connectEngine(noProvision, silentLogger(), { candidates: [conn.host] }).catch(
      (e: unknown) => e,
    );
    expect(again).toMatchObject({ reason: 'ENGINE_UNREACHABLE' });
  });
});
