import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The drop-in file tarmac owns in a registries.conf.d folder. */
export const MIRROR_CONF_FILE = '50-tarmac-docker-io-mirror.conf';

/**
 * registries.conf.d content that makes the built-in registry at `registryHost` (127.0.0.1:PORT) a
 * mirror of docker.io. Podman (containers/image) tries a mirror first and falls back to docker.io
 * when the mirror refuses the connection or lacks the image, so the file is harmless while tarmac
 * is not running: one refused connect on loopback, then the usual Docker Hub pull.
 */
export function dockerHubMirrorConf(registryHost: string): string {
  return [
    '# Written by tarmac: the built-in registry mirrors docker.io (base images bootstrapped locally).',
    '# Harmless when tarmac is not running: pulls fall back to docker.io. See docs/architecture.md.',
    '[[registry]]',
    'prefix = "docker.io"',
    'location = "registry-1.docker.io"',
    '[[registry.mirror]]',
    `location = "${registryHost}"`,
    'insecure = true',
    '',
  ].join('\n');
}

/** The machine's drop-in folder for root (what a root Podman service reads), else the user's. */
export function registriesConfDir(): string {
  return process.getuid?.() === 0
    ? '/etc/containers/registries.conf.d'
    : join(homedir(), '.config', 'containers', 'registries.conf.d');
}

/**
 * Writes (atomically, only when it changed) the docker.io mirror drop-in for `registryHost` into
 * `dir`. Returns the file and whether it changed: a running Podman service reads registries.conf
 * once, so it sees a change only after it restarts (`podman` commands see it at once).
 */
export function writeDockerHubMirror(
  registryHost: string,
  dir = registriesConfDir(),
): { path: string; changed: boolean } {
  const path = join(dir, MIRROR_CONF_FILE);
  const text = dockerHubMirrorConf(registryHost);
  let current: string | undefined;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === text) return { path, changed: false };
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o644 });
  renameSync(tmp, path);
  return { path, changed: true };
}
