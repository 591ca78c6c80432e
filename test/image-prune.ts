import Docker from 'dockerode';
import { dockerOptions } from '../src/runtime/index.ts';

/**
 * Images that tests push to or pull from their own registries (tarmac on an ephemeral port, named
 * localhost:PORT/...) stay in the engine's store after the run and pile up run after run. In CI
 * (CI=true, one run on the machine at a time) the global teardown removes the ones this run made;
 * on a developer machine, where several runs may share the engine, nothing is removed.
 */
const TEST_REGISTRY_TAG = /^localhost:(\d+)\//;

function isTestRegistryTag(tag: string): boolean {
  const m = TEST_REGISTRY_TAG.exec(tag);
  return m !== null && Number(m[1]) >= 32768;
}

export async function snapshotImageIds(host: string): Promise<Set<string>> {
  const docker = new Docker(dockerOptions(host));
  const images = await docker.listImages();
  return new Set(images.map((i) => i.Id));
}

export async function pruneTestImages(host: string, before: Set<string>): Promise<number> {
  const docker = new Docker(dockerOptions(host));
  let removed = 0;
  for (const image of await docker.listImages()) {
    const tags = image.RepoTags ?? [];
    if (before.has(image.Id) || tags.length === 0 || !tags.every(isTestRegistryTag)) continue;
    try {
      await docker.getImage(image.Id).remove({ force: true });
      removed += 1;
    } catch {
      // In use or already gone: leave it.
    }
  }
  return removed;
}
