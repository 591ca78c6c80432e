import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './load.ts';
import { TarmacError } from '../shared/index.ts';

const home = mkdtempSync(join(tmpdir(), 'tarmac-config-'));

describe('loadConfig', () => {
  it('has the embedded defaults', () => {
    const c = loadConfig({ env: { TARMAC_HOME: home } });
    expect(c.ports).toEqual({ ingress: 8080, api: 8090, registry: 8091, metadata: 0 });
    expect(c.bind).toBe('127.0.0.1');
    expect(c.home).toBe(home);
  });

  it('layers file, env and flags in that order', () => {
    const file = join(home, 'c.json');
    writeFileSync(file, JSON.stringify({ ports: { api: 1000, ingress: 1001 }, logLevel: 'debug' }));
    const c = loadConfig({
      env: { TARMAC_HOME: home, TARMAC_API_PORT: '2000' },
      flags: { 'ingress-port': '3001', config: file },
    });
    expect(c.ports.api).toBe(2000);
    expect(c.ports.ingress).toBe(3001);
    expect(c.logLevel).toBe('debug');
  });

  it('names the key, the value and what is allowed', () => {
    try {
      loadConfig({ env: { TARMAC_HOME: home, TARMAC_API_PORT: '70000' } });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TarmacError);
      expect((e as TarmacError).reason).toBe('BAD_CONFIG');
      expect((e as Error).message).toContain('ports.api=70000');
      expect((e as Error).message).toContain('65535');
    }
    expect(() => loadConfig({ env: { TARMAC_HOME: home, TARMAC_LOG_LEVEL: 'loud' } })).toThrow(
      /logLevel="loud"/,
    );
    expect(() => loadConfig({ env: { TARMAC_HOME: home, TARMAC_API_PORT: 'abc' } })).toThrow(/an integer/);
  });
});
