import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { silentLogger } from '../shared/index.ts';
import { connectEngine, engineCandidates } from './detect.ts';
import { podmanSettings, type HostProbe } from './host.ts';
import { provisionBlocker, writePodmanSettings } from './provision.ts';
import { mapEngineError } from './errors.ts';

const probe = (p: Partial<HostProbe>): HostProbe => ({
  uid: 0,
  apt: true,
  memoryCgroup: true,
  which: () => '/usr/bin/x',
  hardLimits: {},
  ...p,
});

describe('engine provisioning preconditions', () => {
  it('names the fix for not root, no apt and no memory cgroup', () => {
    expect(provisionBlocker(probe({ uid: 1000 }))).toMatchObject({ reason: 'ENGINE_NEEDS_ROOT' });
    expect(provisionBlocker(probe({ apt: false }))).toMatchObject({ reason: 'ENGINE_NO_APT' });
    expect(provisionBlocker(probe({ memoryCgroup: false }))).toMatchObject({
      reason: 'ENGINE_NO_MEMORY_CGROUP',
    });
    expect(provisionBlocker(probe({ uid: 1000 }))?.message).toMatch(/Fix: .*TARMAC_ENGINE_HOST/);
    expect(provisionBlocker(probe({}))).toBeUndefined();
  });

  it('keeps default ulimits at or below the hard limits and uses runc', () => {
    const s = podmanSettings({ hardLimits: { nofile: 1024, nproc: 100_000 } });
    expect(s).toContain('"nofile=1024:1024", "nproc=4096:4096"');
    expect(s).toContain('runtime = "runc"');
  });

  it('writes the settings file only when none is there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tarmac-prov-'));
    try {
      const file = join(dir, 'conf.d', '50-tarmac.conf');
      writePodmanSettings(probe({}), file);
      expect(readFileSync(file, 'utf8')).toContain('runc');
      writeFileSync(file, 'admin');
      writePodmanSettings(probe({}), file);
      expect(readFileSync(file, 'utf8')).toBe('admin');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('engine detection', () => {
  it('uses only the configured host when one is set, and says how to fix it when it is down', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tarmac-det-'));
    try {
      const config = loadConfig({
        env: {},
        overrides: { home, engine: { host: `unix://${home}/none.sock`, provision: true } },
      });
      expect(engineCandidates(config)).toEqual([`unix://${home}/none.sock`]);
      await expect(connectEngine(config, silentLogger())).rejects.toMatchObject({
        reason: 'ENGINE_UNREACHABLE',
      });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('maps EACCES on the socket to ENGINE_PERMISSION_DENIED', () => {
    const eacces = Object.assign(new Error('connect EACCES /var/run/docker.sock'), { code: 'EACCES' });
    expect(mapEngineError(eacces, 'ping')).toMatchObject({
      reason: 'ENGINE_PERMISSION_DENIED',
      code: 'PERMISSION_DENIED',
    });
  });
});
