import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { list as tarList } from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatSize, packSource, snapshotSource, stagingObjectName } from './archive.ts';

let dir: string;
const put = (rel: string, body = 'x'): void => {
  mkdirSync(join(dir, rel, '..'), { recursive: true });
  writeFileSync(join(dir, rel), body);
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tarmac-pack-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('snapshotSource', () => {
  it("uses gcloud's default without a .gcloudignore: skips .git, .gitignore and its entries", () => {
    put('main.py');
    put('.git/HEAD');
    put('.gitignore', '*.log\nbuild/\n');
    put('debug.log');
    put('build/out.bin');
    put('Dockerfile');
    const s = snapshotSource(dir);
    expect(s.entries).toEqual(['Dockerfile', 'main.py']);
    expect(s.files).toBe(2);
  });

  it('honours .gcloudignore with negation, directories and #!include', () => {
    put('.gcloudignore', '.gcloudignore\nsecrets/\n*.txt\n!keep.txt\n#!include:extra.ignore\n');
    put('extra.ignore', 'venv/\n');
    put('secrets/key.pem');
    put('notes.txt');
    put('keep.txt');
    put('venv/lib/x.py');
    put('app/main.py', 'print(1)\n');
    put('.git/HEAD');
    const s = snapshotSource(dir);
    // With a .gcloudignore present, only its rules apply (so .git is uploaded unless listed).
    expect(s.entries).toEqual(['.git/', '.git/HEAD', 'app/', 'app/main.py', 'extra.ignore', 'keep.txt']);
    expect(s.bytes).toBe(1 + 9 + 'venv/\n'.length + 1);
  });

  it('packs exactly the snapshot into a gzipped tarball', async () => {
    put('.gcloudignore', 'secret.txt\n');
    put('secret.txt');
    put('Dockerfile', 'FROM scratch\n');
    put('src/a.py');
    const seen: string[] = [];
    const parse = tarList({ onReadEntry: (e) => seen.push(e.path) });
    await new Promise<void>((resolve, reject) => {
      packSource(snapshotSource(dir)).pipe(parse).on('end', resolve).on('error', reject);
    });
    expect(seen.sort()).toEqual(['.gcloudignore', 'Dockerfile', 'src/', 'src/a.py']);
  });

  it('formats sizes and staging names as gcloud does', () => {
    expect(formatSize(489)).toBe('489 bytes');
    expect(formatSize(1740)).toBe('1.7 KiB');
    expect(formatSize(12.3 * 1024 * 1024)).toBe('12.3 MiB');
    expect(stagingObjectName(1630522057123, 'abc')).toBe('source/1630522057.123000-abc.tgz');
  });
});
