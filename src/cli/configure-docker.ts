import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { asKeyFile, exchangeKeyFile } from '../client/index.ts';
import { defineCommand, userError, type Context } from './core/index.ts';

/** The built-in registry's default address (ports.registry = 8091), under both loopback names. */
const DEFAULT_REGISTRIES = ['localhost:8091', '127.0.0.1:8091'];

/** `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`: Docker reads it, and Podman falls back to it. */
function dockerConfigPath(env: NodeJS.ProcessEnv): string {
  return join(env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker'), 'config.json');
}

/** The registry password: the active credential (a key file is exchanged for an access token). */
async function registryPassword(ctx: Context): Promise<{ password: string; expires: boolean }> {
  const file = ctx.keyFile();
  if (file) {
    const key = asKeyFile(JSON.parse(readFileSync(file, 'utf8')) as unknown, file);
    const t = await exchangeKeyFile(key, { scope: 'https://www.googleapis.com/auth/cloud-platform' });
    if (!t.access_token) throw userError('The token endpoint returned no access token.');
    return { password: t.access_token, expires: true };
  }
  const token = ctx.token();
  if (!token)
    throw userError('No credentials: start `tarmac serve` or run `tarmac auth activate-service-account`.');
  return { password: token, expires: false };
}

function readConfig(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw userError(`${path} is not a JSON object; fix or move it, then run this again.`, 'BAD_DOCKER_CONFIG');
}

/** Adds `auths` entries for `registries`, keeping everything else in the file; mode 0600, atomic. */
function writeAuths(path: string, registries: string[], password: string): void {
  const config = readConfig(path);
  const auths = { ...((config.auths as Record<string, unknown> | undefined) ?? {}) };
  const auth = Buffer.from(`oauth2accesstoken:${password}`).toString('base64');
  for (const r of registries) auths[r] = { auth };
  // A credential helper for the same registry would win over these entries.
  const helpers = { ...((config.credHelpers as Record<string, unknown> | undefined) ?? {}) };
  for (const r of registries) delete helpers[r];
  const next = { ...config, auths, ...(config.credHelpers ? { credHelpers: helpers } : {}) };
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** `tarmac auth configure-docker [REGISTRIES]`: Docker/Podman credentials for the built-in registry. */
export function registerConfigureDocker(group: Command): void {
  defineCommand(group, {
    name: 'configure-docker [REGISTRIES]',
    summary: 'Register tarmac credentials for the built-in registry with Docker and Podman',
    description:
      'Writes the active credential into the Docker configuration file ($DOCKER_CONFIG/config.json, ' +
      'else ~/.docker/config.json), which Docker reads and Podman falls back to, for each registry ' +
      '(comma-separated host:port; default localhost:8091 and 127.0.0.1:8091). The user name is ' +
      'oauth2accesstoken, as for gcr.io.',
    examples: [
      'tarmac auth configure-docker',
      'podman push localhost:8091/my-project/hello:v1',
      'tarmac auth configure-docker localhost:9091',
    ],
    run: async (ctx, [registries]) => {
      const list = registries
        ? registries
            .split(',')
            .map((r) => r.trim())
            .filter(Boolean)
        : DEFAULT_REGISTRIES;
      for (const r of list) {
        if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(r)) {
          throw userError(`${r} is not a registry host (HOST or HOST:PORT).`, 'BAD_REGISTRY');
        }
      }
      const { password, expires } = await registryPassword(ctx);
      const path = dockerConfigPath(ctx.io.env);
      ctx.status(`Adding credentials for: ${list.join(', ')}`);
      writeAuths(path, list, password);
      ctx.status(`Docker configuration file updated: ${path}`);
      if (expires) ctx.warn('The stored access token expires within an hour; run this command again then.');
    },
  });
}
