import { DockerEngine } from '../src/runtime/index.ts';

/**
 * The real engine for tests: test/global-setup.ts finds (or provisions) one and passes its address
 * in TARMAC_TEST_ENGINE_HOST. usePlatform() gives it to every platform it starts.
 */
export function testEngineHost(): string {
  const host = process.env.TARMAC_TEST_ENGINE_HOST;
  if (!host)
    throw new Error('TARMAC_TEST_ENGINE_HOST is not set: run tests through vitest (test/global-setup.ts)');
  return host;
}

let shared: DockerEngine | undefined;

/** A DockerEngine on the test engine (shared within one test file). */
export function testEngine(): DockerEngine {
  shared ??= new DockerEngine(testEngineHost());
  return shared;
}

/** Bootstrapped by test/global-setup.ts (tarmac images bootstrap): sh, sleep, coreutils. */
export const DEBIAN_IMAGE = 'docker.io/library/debian:bookworm-slim';
/** Bootstrapped too: Debian's python3 with pip, Flask, gunicorn (`FROM python:3.11-slim` builds offline). */
export const PYTHON_IMAGE = 'docker.io/library/python:3.11-slim';
