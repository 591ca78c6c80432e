import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIRROR_CONF_FILE, dockerHubMirrorConf, writeDockerHubMirror } from './mirror.ts';

describe('docker.io mirror drop-in', () => {
  it('names the registry as a mirror of docker.io, keeping docker.io as the fallback', () => {
    const text = dockerHubMirrorConf('127.0.0.1:8091');
    expect(text).toContain('prefix = "docker.io"');
    expect(text).toContain('location = "registry-1.docker.io"');
    expect(text).toMatch(/\[\[registry\.mirror\]\]\nlocation = "127\.0\.0\.1:8091"\ninsecure = true/);
  });

  it('writes the file once and rewrites it only when the registry moves', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'tarmac-mirror-')), 'registries.conf.d');
    try {
      const first = writeDockerHubMirror('127.0.0.1:8091', dir);
      expect(first).toEqual({ path: join(dir, MIRROR_CONF_FILE), changed: true });
      expect(statSync(first.path).mode & 0o777).toBe(0o644);
      expect(writeDockerHubMirror('127.0.0.1:8091', dir).changed).toBe(false);
      expect(writeDockerHubMirror('127.0.0.1:9091', dir).changed).toBe(true);
      expect(readFileSync(first.path, 'utf8')).toContain('location = "127.0.0.1:9091"');
    } finally {
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  });
});
