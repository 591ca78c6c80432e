import type { Logger } from '../shared/index.ts';
import { LABEL_MANAGED, LABEL_OWNER, type ContainerEngine } from './engine.ts';

/** The labels every container of one installation carries; add LABEL_KIND and your own on top. */
export function managedLabels(installationId: string): Record<string, string> {
  return { [LABEL_MANAGED]: 'true', [LABEL_OWNER]: installationId };
}

/**
 * Removes containers a previous run of this installation left behind (crash, SIGKILL). Only
 * containers labelled managed=true and owner=installationId are touched, never anything else.
 */
export async function removeOrphans(
  engine: ContainerEngine,
  installationId: string,
  logger: Logger,
): Promise<number> {
  const orphans = await engine.list(managedLabels(installationId));
  for (const c of orphans) {
    await engine.remove(c.id);
    logger.info({ id: c.id, name: c.name }, 'removed orphaned container');
  }
  return orphans.length;
}
