import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { create as tarCreate } from 'tar';
import { loadGcloudignore } from './gcloudignore.ts';

export interface SourceSnapshot {
  dir: string;
  /** Paths relative to dir ("/" separated): directories (ending in "/") and files, in walk order. */
  entries: string[];
  files: number;
  /** Bytes of the files before compression. */
  bytes: number;
}

/** Walks `dir` as gcloud does: ignored directories are not entered, so nothing below them is kept. */
export function snapshotSource(dir: string, ignoreFile?: string): SourceSnapshot {
  const ig = loadGcloudignore(dir, ignoreFile);
  const snap: SourceSnapshot = { dir, entries: [], files: 0, bytes: 0 };
  const walk = (rel: string): void => {
    const names = readdirSync(join(dir, rel)).sort();
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(dir, path));
      if (st.isDirectory()) {
        if (ig.ignores(`${path}/`)) continue;
        snap.entries.push(`${path}/`);
        walk(path);
      } else if (st.isFile() || st.isSymbolicLink()) {
        if (ig.ignores(path)) continue;
        snap.entries.push(path);
        snap.files++;
        if (st.isFile()) snap.bytes += st.size;
      }
    }
  };
  walk('');
  return snap;
}

/** The snapshot as a gzipped tarball stream (paths relative to the folder, as gcloud uploads it). */
export function packSource(snap: SourceSnapshot): Readable {
  const out = new PassThrough();
  // node-tar streams are Minipass streams; piping them into a PassThrough gives a node Readable.
  const tar = tarCreate(
    { gzip: true, cwd: snap.dir, portable: true, noDirRecurse: true, follow: false },
    snap.entries.map((e) => (e.endsWith('/') ? e.slice(0, -1) : e)),
  ) as unknown as { pipe(dest: PassThrough): unknown; on(ev: 'error', fn: (e: Error) => void): unknown };
  tar.on('error', (e) => out.destroy(e));
  tar.pipe(out);
  return out;
}

/** Sizes as gcloud prints them: "489 bytes", "1.7 KiB", "12.3 MiB". */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

/** gcloud's object name for a staged source: `source/<unix seconds.micros>-<uuid hex>.tgz`. */
export function stagingObjectName(nowMs: number, uuidHex: string): string {
  const secs = Math.floor(nowMs / 1000);
  const micros = String((nowMs % 1000) * 1000).padStart(6, '0');
  return `source/${secs}.${micros}-${uuidHex}.tgz`;
}
