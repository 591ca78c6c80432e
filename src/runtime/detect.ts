import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ParsedConfig } from '../config/index.ts';
import { TarmacError, type Logger } from '../shared/index.ts';
import { DockerEngine } from './docker-engine.ts';
import { engineError } from './errors.ts';
import { provisionPodman, adoptOwnService, type OwnService } from './provision.ts';

/** A connected engine and, when tarmac started the engine itself, how to stop it. */
export interface EngineConnection {
  engine: DockerEngine;
  /** The Docker API address in use (unix:///... or tcp://...). */
  host: string;
  /** Whether tarmac started this engine (its own `podman system service`). */
  provisioned: boolean;
  dispose(): Promise<void>;
}

/** Where tarmac's own Podman service listens under TARMAC_HOME. */
export function ownSocketPath(home: string): string {
  return join(home, 'engine', 'podman.sock');
}

/** Candidate engine addresses, in the order tried. */
export function engineCandidates(config: ParsedConfig): string[] {
  if (config.engine.host) return [config.engine.host];
  const sockets = ['/var/run/docker.sock', '/run/podman/podman.sock', ownSocketPath(config.home)];
  return [...new Set(sockets)].filter((s) => existsSync(s)).map((s) => `unix://${s}`);
}

async function tryHost(host: string): Promise<DockerEngine | TarmacError> {
  const engine = new DockerEngine(host);
  try {
    await engine.ping();
    return engine;
  } catch (e) {
    return e instanceof TarmacError ? e : engineError('ENGINE_UNREACHABLE', String(e));
  }
}

/**
 * Finds a reachable engine (config.engine.host / DOCKER_HOST, /var/run/docker.sock, the system
 * Podman socket, tarmac's own socket); else, when config.engine.provision allows, makes one available.
 */
export async function connectEngine(
  config: ParsedConfig,
  logger: Logger,
  opts: { candidates?: string[] } = {},
): Promise<EngineConnection> {
  const own = ownSocketPath(config.home);
  const tried: string[] = [];
  for (const host of opts.candidates ?? engineCandidates(config)) {
    const r = await tryHost(host);
    if (r instanceof DockerEngine) {
      const service: OwnService | undefined =
        host === `unix://${own}` ? adoptOwnService(config.home) : undefined;
      logger.info({ host, provisioned: Boolean(service) }, 'container engine connected');
      return connection(r, host, service);
    }
    if (r.reason === 'ENGINE_PERMISSION_DENIED') {
      throw new TarmacError(
        'PERMISSION_DENIED',
        `permission denied on the container engine socket ${host}. Fix: run tarmac as root or as a user ` +
          `allowed on that socket (e.g. in the docker group), or point TARMAC_ENGINE_HOST at an engine you may use.`,
        { reason: 'ENGINE_PERMISSION_DENIED' },
      );
    }
    tried.push(`${host} (${r.message})`);
  }
  if (config.engine.host) {
    throw engineError(
      'ENGINE_UNREACHABLE',
      `no container engine answers at ${config.engine.host} (engine.host / TARMAC_ENGINE_HOST / DOCKER_HOST). ` +
        'Fix: start the engine there, or unset it so tarmac finds or provisions one.',
    );
  }
  if (!config.engine.provision) {
    throw engineError(
      'ENGINE_UNREACHABLE',
      `no container engine found (tried: ${tried.join('; ') || 'no engine sockets exist'}). Fix: start Docker or ` +
        '`podman system service`, set TARMAC_ENGINE_HOST, or allow provisioning (TARMAC_ENGINE_PROVISION=true).',
    );
  }
  const service = await provisionPodman(config.home, logger);
  const host = `unix://${own}`;
  const r = await tryHost(host);
  if (!(r instanceof DockerEngine)) {
    await service.stop();
    throw engineError(
      'ENGINE_PROVISION_FAILED',
      `started podman but it does not answer at ${host}: ${r.message}`,
    );
  }
  return connection(r, host, service);
}

function connection(engine: DockerEngine, host: string, service: OwnService | undefined): EngineConnection {
  let done: Promise<void> | undefined;
  return {
    engine,
    host,
    provisioned: service !== undefined,
    dispose: () => {
      done ??= (async () => {
        engine.close();
        if (service) await service.stop();
      })();
      return done;
    },
  };
}
