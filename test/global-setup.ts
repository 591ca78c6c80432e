import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/index.ts';
import { createLogger } from '../src/shared/index.ts';
import { bootstrapImages, connectEngine } from '../src/runtime/index.ts';
import { ensureBusyboxImage } from './busybox-image.ts';
import { pruneTestImages, snapshotImageIds } from './image-prune.ts';

/**
 * Runs once before all test files: finds the container engine (TARMAC_ENGINE_HOST, DOCKER_HOST,
 * the usual sockets) or provisions Podman (root on Debian/Ubuntu), and hands its address to the
 * test processes in TARMAC_TEST_ENGINE_HOST, and makes sure the base images exist (bootstrapping
 * them if needed). A provisioned engine is stopped after the run.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const env = { TARMAC_ENGINE_HOST: process.env.TARMAC_ENGINE_HOST, DOCKER_HOST: process.env.DOCKER_HOST };
  const config = loadConfig({
    env,
    overrides: { home: join(homedir(), '.cache', 'tarmac', 'test-home'), logLevel: 'warn' },
  });
  const conn = await connectEngine(config, createLogger('warn'));
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
  const prune = process.env.CI === 'true';
  const before = prune ? await snapshotImageIds(conn.host) : new Set<string>();
  return async () => {
    if (prune) {
      const removed = await pruneTestImages(conn.host, before);
      process.stderr.write(`global-teardown: removed ${removed} test registry images\n`);
    }
    await conn.dispose();
  };
}
