import type { Db } from '../store/index.ts';
import type { Registry } from './service.ts';

export interface GcOptions {
  /** Blobs used (pushed, linked, checked) within this window are kept, so pushes in flight are safe. */
  graceMs?: number;
  /** Only count what would be removed. */
  dryRun?: boolean;
}

export interface GcResult {
  /** Blobs no manifest references, removed with their repository links. */
  blobs: number;
  bytes: number;
  /** Files in the blob store with no record at all (a crash between rename and insert). */
  orphans: number;
}

const UNREFERENCED = `last_used < ?
  AND NOT EXISTS (SELECT 1 FROM registry_manifests m WHERE m.digest = b.digest)
  AND NOT EXISTS (SELECT 1 FROM registry_manifest_refs r WHERE r.digest = b.digest)`;

/**
 * `tarmac registry gc`: mark and sweep. Marked are manifests and everything they reference; swept are
 * other blobs not used within the grace window. Each removal re-checks, in one transaction under the
 * blob's lock, that nothing started referencing the blob: a manifest push checks its blobs in a
 * transaction too, and a blob upload commits under the same lock, so gc is safe while pushes go on.
 */
export async function collectGarbage(registry: Registry, db: Db, opts: GcOptions = {}): Promise<GcResult> {
  const cutoff = registry.clock.now() - (opts.graceMs ?? 60 * 60 * 1000);
  const result: GcResult = { blobs: 0, bytes: 0, orphans: 0 };
  const candidates = db
    .prepare(`SELECT digest, size FROM registry_blobs b WHERE ${UNREFERENCED}`)
    .all(cutoff) as {
    digest: string;
    size: number;
  }[];
  const recheck = db.prepare(`DELETE FROM registry_blobs AS b WHERE digest = ? AND ${UNREFERENCED}`);
  for (const c of candidates) {
    if (opts.dryRun) {
      result.blobs++;
      result.bytes += c.size;
      continue;
    }
    await registry.locks.run(`blob:${c.digest}`, async () => {
      if (recheck.run(c.digest, cutoff).changes === 0) return;
      await registry.store.delete(c.digest);
      result.blobs++;
      result.bytes += c.size;
    });
  }
  const known = db.prepare('SELECT 1 FROM registry_blobs WHERE digest = ?');
  for await (const f of registry.store.list()) {
    if (f.mtimeMs >= cutoff || known.get(f.digest) !== undefined) continue;
    if (opts.dryRun) {
      result.orphans++;
      continue;
    }
    await registry.locks.run(`blob:${f.digest}`, async () => {
      if (known.get(f.digest) === undefined && (await registry.store.delete(f.digest))) result.orphans++;
    });
  }
  return result;
}
