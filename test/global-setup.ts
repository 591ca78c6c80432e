import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/index.ts';
import { createLogger } from '../src/shared/index.ts';
import { bootstrapImages, connectEngine } from '../src/runtime/index.ts';
import { ensureBusyboxImage } from './busybox-image.ts';
import { joinUsers, leaveUsers, withLock } from './engine-users.ts';

/**
 * Runs once before all test files: finds the container engine (TARMAC_ENGINE_HOST, DOCKER_HOST,
 * the usual sockets) or provisions Podman (root on Debian/Ubuntu), and hands its address to the
 * test processes in TARMAC_TEST_ENGINE_HOST, and makes sure the base images exist (bootstrapping
 * them if needed). A provisioned engine (shared under ~/.cache/tarmac/test-home by concurrent runs)
 * is stopped by the last run to finish (test/engine-users.ts).
 */
export default async function setup(): Promise<() => Promise<void>> {
  const env = { TARMAC_ENGINE_HOST: process.env.TARMAC_ENGINE_HOST, DOCKER_HOST: process.env.DOCKER_HOST };
  const home = join(homedir(), '.cache', 'tarmac', 'test-home');
  const config = loadConfig({ env, overrides: { home, logLevel: 'warn' } });
  mkdirSync(home, { recursive: true });
  const lock = join(home, 'engine-users.lock');
  const users = join(home, 'engine-users');
  const conn = await withLock(lock, async () => {
    const c = await connectEngine(config, createLogger('warn'));
    if (c.provisioned) joinUsers(users);
    return c;
  });
  process.env.TARMAC_TEST_ENGINE_HOST = conn.host;
  // Base images (debian:bookworm-slim, python:3.11-slim) from Debian packages; cached under
  // ~/.cache/tarmac/images, so only the first run on a machine pays for mmdebstrap.
  const started = Date.now();
  const images = await bootstrapImages(conn.engine, {
    onLog: (l) => {
      if (l.startsWith('mmdebstrap ')) process.stderr.write(`global-setup: ${l}\n`);
    },
  });
  await ensureBusyboxImage(conn.engine);
  const made = images.filter((i) => i.outcome !== 'present');
  if (made.length > 0) {
    process.stderr.write(
      `global-setup: base images ready in ${((Date.now() - started) / 1000).toFixed(0)}s\n`,
    );
  }
  // Images the tests push, pull or build are removed by each test's platform (test/image-cleanup.ts).
  return async () => {
    if (!conn.provisioned) return conn.dispose();
    // Only the last run out stops the service; the others just let go of it.
    await withLock(lock, async () => (leaveUsers(users) ? conn.dispose() : conn.engine.close()));
  };
}
