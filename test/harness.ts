import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { loadConfig, type ConfigInput } from '../src/config/index.ts';
import { silentLogger } from '../src/shared/index.ts';
import { startPlatform, type Platform, type PlatformOptions } from '../src/platform.ts';
import { testEngineHost } from './engine.ts';
import { trackTestImages } from './image-cleanup.ts';

const live = new Set<Platform>();

/** Platforms still running; test/setup.ts fails the run if any is left after a file's tests. */
export function livePlatforms(): number {
  return live.size;
}

export function tempHome(prefix = 'tarmac-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface UsePlatformOptions extends PlatformOptions {
  config?: Partial<ConfigInput>;
  home?: string;
  /** Keep the home folder after dispose (restart tests). */
  keepHome?: boolean;
}

/**
 * Starts a platform on a temporary TARMAC_HOME with every listener on port 0, and disposes it (and
 * removes the home) after the current test.
 */
export async function usePlatform(opts: UsePlatformOptions = {}): Promise<Platform> {
  const home = opts.home ?? tempHome();
  const config = loadConfig({
    env: {},
    overrides: {
      ...opts.config,
      home,
      ports: { ingress: 0, api: 0, registry: 0, ...opts.config?.ports },
      // The real engine global-setup found; a test may inject its own (opts.engine, e.g. a FakeEngine).
      engine: opts.config?.engine ?? { host: opts.engine ? '' : testEngineHost(), provision: false },
      logLevel: process.env.TARMAC_TEST_LOG_LEVEL ?? opts.config?.logLevel ?? 'silent',
    },
  });
  const platform = await startPlatform(config, {
    logger: opts.logger ?? silentLogger(),
    clock: opts.clock,
    engine: opts.engine,
  });
  live.add(platform);
  // Images pushed to, pulled from or built by this platform go with it (not with a FakeEngine).
  const images = opts.engine
    ? undefined
    : await trackTestImages({
        host: config.engine.host || testEngineHost(),
        registryPort: platform.listeners.registry.port,
        owner: platform.installationId,
      });
  onTestFinished(async () => {
    await platform.dispose();
    live.delete(platform);
    await images?.cleanup();
    if (!opts.keepHome && !opts.home) rmSync(home, { recursive: true, force: true });
  });
  return platform;
}

/** Stops a platform started by usePlatform before the test ends (restart tests). */
export async function stopPlatform(platform: Platform): Promise<void> {
  await platform.dispose();
  live.delete(platform);
}
