import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/index.ts';
import { createLogger } from '../src/shared/index.ts';
import { connectEngine } from '../src/runtime/index.ts';

/**
 * Runs once before all test files: finds the container engine (TARMAC_ENGINE_HOST, DOCKER_HOST,
 * the usual sockets) or provisions Podman (root on Debian/Ubuntu), and hands its address to the
 * test processes in TARMAC_TEST_ENGINE_HOST. A provisioned engine is stopped after the run.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const env = { TARMAC_ENGINE_HOST: process.env.TARMAC_ENGINE_HOST, DOCKER_HOST: process.env.DOCKER_HOST };
  const config = loadConfig({
    env,
    overrides: { home: join(homedir(), '.cache', 'tarmac', 'test-home'), logLevel: 'warn' },
  });
  const conn = await connectEngine(config, createLogger('warn'));
  process.env.TARMAC_TEST_ENGINE_HOST = conn.host;
  return () => conn.dispose();
}
