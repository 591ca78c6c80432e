import Docker from 'dockerode';
import { LABEL_OWNER, dockerOptions } from '../src/runtime/index.ts';

/**
 * Removes the images a test platform left in the engine: the names under its registry listener
 * (localhost:PORT/... and 127.0.0.1:PORT/..., pushed, tagged for a push, or pulled by digest to run a
 * revision) and the images its builds made (labelled dev.tarmac.owner=<its installation id>).
 *
 * Names are removed one by one, never an image by id: Podman gives a pulled image that already
 * exists (localhost/bbtest pushed and pulled back by digest) one more name on the same image, so
 * removing that name untags it and the base image stays. Only names and build images that were not
 * there when the platform started are touched (a registry port can be reused by a later run).
 */
export interface ImageScope {
  /** The engine's Docker API address. */
  host: string;
  /** The test registry's port. */
  registryPort: number;
  /** The installation id whose builds' images (label dev.tarmac.owner) are the test's. */
  owner?: string;
}

export interface ImageTracker {
  /** Removes what appeared since tracking began; returns how many names/images went. */
  cleanup(): Promise<number>;
}

function underRegistry(ref: string, port: number): boolean {
  return ref.startsWith(`localhost:${port}/`) || ref.startsWith(`127.0.0.1:${port}/`);
}

interface Snapshot {
  refs: Set<string>;
  owned: Set<string>;
}

async function snapshot(docker: Docker, scope: ImageScope): Promise<Snapshot> {
  const refs = new Set<string>();
  const owned = new Set<string>();
  for (const i of await docker.listImages({ all: true })) {
    for (const r of [...(i.RepoTags ?? []), ...(i.RepoDigests ?? [])])
      if (underRegistry(r, scope.registryPort)) refs.add(r);
    if (scope.owner !== undefined && i.Labels?.[LABEL_OWNER] === scope.owner) owned.add(i.Id);
  }
  return { refs, owned };
}

async function removeQuietly(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).remove();
    return true;
  } catch {
    return false; // Already gone with an earlier name, or still in use: leave it.
  }
}

/** Starts tracking the images of one test platform (call right after it started). */
export async function trackTestImages(scope: ImageScope): Promise<ImageTracker> {
  const docker = new Docker(dockerOptions(scope.host));
  const before = await snapshot(docker, scope);
  return {
    cleanup: async () => {
      let removed = 0;
      // Twice: Podman lists every name (tags and name@digest) in RepoTags; Docker lists digest
      // pulls only in RepoDigests, which Podman also fills with derived pairs that vanish with the names.
      for (let pass = 0; pass < 2; pass++) {
        const now = await snapshot(docker, scope);
        for (const ref of now.refs) {
          if (!before.refs.has(ref) && (await removeQuietly(docker, ref))) removed += 1;
        }
      }
      // Build images (the builder labels them with the installation id): by id, children first.
      const owned = [...(await snapshot(docker, scope)).owned].filter((id) => !before.owned.has(id));
      for (let left = owned; left.length > 0;) {
        const next: string[] = [];
        for (const id of left) {
          if (await removeQuietly(docker, id)) removed += 1;
          else next.push(id);
        }
        if (next.length === left.length) break;
        left = next;
      }
      return removed;
    },
  };
}
