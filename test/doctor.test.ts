import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDoctor } from '../src/admin/index.ts';
import { tempHome, usePlatform } from './harness.ts';
import { testEngineHost } from './engine.ts';

describe('tarmac doctor', () => {
  it('passes every check against the test engine with bootstrapped base images', async () => {
    const home = tempHome();
    try {
      const checks = await runDoctor({ home, 'engine-host': testEngineHost() });
      expect(checks.filter((c) => !c.ok)).toEqual([]);
      expect(checks.map((c) => c.name)).toEqual(
        expect.arrayContaining(['engine reachable', 'engine', 'memory limits', 'network mode', 'free disk']),
      );
      expect(checks.find((c) => c.name === 'base image python:3.11-slim')?.ok).toBe(true);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('fails the engine check with a fix when no engine answers', async () => {
    const home = tempHome();
    try {
      const checks = await runDoctor({ home, 'engine-host': `unix://${home}/nothing.sock` });
      const engine = checks.find((c) => c.name === 'engine reachable')!;
      expect(engine.ok).toBe(false);
      expect(engine.fix).toMatch(/TARMAC_ENGINE_HOST/);
      expect(checks.find((c) => c.name === 'free disk')?.ok).toBe(true);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('with no engine running, starts Podman for its checks as tarmac serve would, and stops it after', async () => {
    const home = tempHome();
    try {
      // No engine host: doctor looks where tarmac serve looks (a running system engine, if any, is used).
      const checks = await runDoctor({ home });
      expect(checks.filter((c) => !c.ok)).toEqual([]);
      expect(checks.map((c) => c.name)).toEqual(expect.arrayContaining(['engine', 'memory limits']));
      const engine = checks.find((c) => c.name === 'engine reachable')!;
      if (engine.detail.includes(home)) expect(engine.detail).toMatch(/started by tarmac for these checks/);
      expect(existsSync(join(home, 'engine', 'podman.pid'))).toBe(false);
      expect(existsSync(join(home, 'engine', 'podman.sock'))).toBe(false);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('reports who answers metadata.google.internal on 127.0.0.1:80 while tarmac runs', async () => {
    const p = await usePlatform();
    expect(p.iam.metadataPort80?.listening || p.iam.metadataPort80?.error === 'EADDRINUSE').toBe(true);
    const checks = await runDoctor({ home: p.paths.home, 'engine-host': testEngineHost() });
    expect(checks.find((c) => c.name === 'metadata.google.internal:80')).toMatchObject({
      ok: true,
      detail: 'served by a running tarmac on 127.0.0.1:80',
    });
  });
});
