import type { ParsedConfig, StatePaths } from '../config/index.ts';
import type { Iam } from '../iam/index.ts';
import { principalOfMember, saPrincipal } from '../iam/index.ts';
import { toLocalReference } from '../registry/index.ts';
import type { ContainerEngine } from '../runtime/index.ts';
import type { Build } from '../model/index.ts';
import type { Db } from '../store/index.ts';
import type { Clock, Logger } from '../shared/index.ts';
import { BuildService } from './service.ts';
import type { ImageTargets } from './runner.ts';

export interface BuildWiring {
  config: ParsedConfig;
  paths: StatePaths;
  db: Db;
  clock: Clock;
  logger: Logger;
  iam: Iam;
  engine: () => Promise<ContainerEngine>;
  installationId: string;
  /** host:port of the built-in registry as the engine reaches it (known once it listens). */
  registryHostPort: () => string;
  apiUrl: () => string;
  /** Told of every finished build (metrics). */
  onFinished?: (build: Build) => void;
}

/**
 * Pushes go to the built-in registry under the names the registry's parser gives, with the rights of
 * whoever created the build (else the project's default compute service account).
 */
export function builtinTargets(w: Pick<BuildWiring, 'iam' | 'registryHostPort'>): ImageTargets {
  return {
    resolve(image) {
      const ref = toLocalReference(image, w.registryHostPort());
      return { project: ref.project ?? '', ref: ref.image };
    },
    async credentials(project, member) {
      const who = member ? principalOfMember(member) : saPrincipal(w.iam.defaultServiceAccount(project));
      return { username: 'oauth2accesstoken', password: await w.iam.accessTokenFor(who) };
    },
  };
}

/** The builder as the platform runs it. */
export function createBuildService(w: BuildWiring): BuildService {
  return new BuildService({
    db: w.db,
    clock: w.clock,
    logger: w.logger.child({ part: 'build' }),
    dir: w.paths.builds,
    parallelism: w.config.builds.parallelism,
    maxSourceBytes: w.config.builds.maxSourceBytes,
    engine: w.engine,
    targets: builtinTargets(w),
    installationId: w.installationId,
    apiUrl: w.apiUrl,
    onFinished: w.onFinished,
  });
}
