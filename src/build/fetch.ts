import { Parser, type ReadEntry } from 'tar';
import type { Readable } from 'node:stream';
import { TarmacError } from '../shared/index.ts';

export interface SourceSummary {
  files: number;
  bytes: number;
  /** Paths in the archive, normalised (no leading ./). */
  has(path: string): boolean;
}

const norm = (p: string): string => p.replace(/^(\.\/)+/, '').replace(/\/+$/, '');

/** Reads a gzipped tarball through once: proves it is intact and lists what it holds. */
export function inspectSource(stream: Readable, signal?: AbortSignal): Promise<SourceSummary> {
  return new Promise((resolve, reject) => {
    const paths = new Set<string>();
    let files = 0;
    let bytes = 0;
    let gzipped: boolean | undefined;
    const fail = (message: string): void => {
      stream.destroy();
      reject(new TarmacError('INVALID_ARGUMENT', message, { reason: 'BAD_SOURCE_ARCHIVE' }));
    };
    const parser = new Parser({
      strict: true,
      onReadEntry: (e: ReadEntry) => {
        paths.add(norm(e.path));
        if (e.type === 'File' || e.type === 'OldFile') {
          files++;
          bytes += e.size;
        }
        e.resume();
      },
    });
    parser.on('error', (e: Error) => fail(`source is not a valid gzipped tarball: ${e.message}`));
    parser.on('end', () => {
      if (gzipped === false) return fail('source is not gzipped (expected a .tgz)');
      resolve({ files, bytes, has: (p) => paths.has(norm(p)) });
    });
    stream.once('data', (c: Buffer) => {
      gzipped = c[0] === 0x1f && c[1] === 0x8b;
    });
    stream.on('error', (e) => reject(e));
    signal?.addEventListener('abort', () => stream.destroy(new Error('aborted')), { once: true });
    stream.pipe(parser);
  });
}
