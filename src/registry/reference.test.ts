import { describe, expect, it } from 'vitest';
import { parseImageReference, toLocalReference, formatReference, projectOfRepository } from './reference.ts';
import { TarmacError } from '../shared/index.ts';

const D = `sha256:${'a'.repeat(64)}`;
const R = '127.0.0.1:8091';

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof TarmacError ? e.reason : 'not a TarmacError';
  }
  return undefined;
}

describe('parseImageReference', () => {
  it.each([
    ['gcr.io/my-proj/hello', 'gcr', 'my-proj', 'my-proj/hello', undefined],
    ['us.gcr.io/my-proj/hello:v1', 'gcr', 'my-proj', 'my-proj/hello', 'us'],
    ['eu.gcr.io/my-proj/a/b', 'gcr', 'my-proj', 'my-proj/a/b', 'eu'],
    ['asia.gcr.io/p1-x/img', 'gcr', 'p1-x', 'p1-x/img', 'asia'],
    [
      'us-central1-docker.pkg.dev/proj/repo/img:2',
      'artifact-registry',
      'proj',
      'proj/repo/img',
      'us-central1',
    ],
    ['europe-docker.pkg.dev/proj/repo/a/b', 'artifact-registry', 'proj', 'proj/repo/a/b', 'europe'],
    ['localhost:8091/proj/img', 'local', 'proj', 'proj/img', undefined],
    ['127.0.0.1:8091/proj/repo/img@' + D, 'local', 'proj', 'proj/repo/img', undefined],
    ['python:3.11-slim', 'docker-hub', undefined, 'library/python', undefined],
    ['docker.io/library/python', 'docker-hub', undefined, 'library/python', undefined],
    ['index.docker.io/someone/tool', 'docker-hub', undefined, 'someone/tool', undefined],
    ['someone/tool:1', 'docker-hub', undefined, 'someone/tool', undefined],
  ])('%s', (name, kind, project, repository, location) => {
    const r = parseImageReference(name);
    expect(r.kind).toBe(kind);
    expect(r.project).toBe(project);
    expect(r.repository).toBe(repository);
    expect(r.location).toBe(location);
  });

  it('splits tag and digest', () => {
    const r = parseImageReference(`gcr.io/p/i:v2@${D}`);
    expect([r.tag, r.digest, r.domain, r.path]).toEqual(['v2', D, 'gcr.io', 'p/i']);
    expect(formatReference(r)).toBe(`gcr.io/p/i:v2@${D}`);
    expect(parseImageReference('python').tag).toBeUndefined();
    expect(formatReference(parseImageReference('python'))).toBe('docker.io/library/python');
  });

  it('treats other registries as external', () => {
    const r = parseImageReference('quay.io/org/img:1');
    expect(r.kind).toBe('other');
    expect(r.repository).toBeUndefined();
  });

  it.each([
    '',
    'Upper:1',
    'gcr.io/p/Image',
    'gcr.io/onlyproject',
    'us-docker.pkg.dev/proj/img',
    'gcr.io/p/../etc',
    'gcr.io/p/./x',
    'gcr.io/p//i',
    'gcr.io/p/i/',
    'gcr.io/p/-i',
    'gcr.io/p/i:.bad',
    'gcr.io/p/i:' + 'x'.repeat(129),
    'gcr.io/p/i@sha256:abc',
    'gcr.io/p/i@md5:' + 'a'.repeat(32),
    'gcr.io/p/i@sha256:' + 'A'.repeat(64),
    'gcr.io/p/%2e%2e/i',
    'bad_host!/p/i',
    'p/' + 'a'.repeat(300),
  ])('rejects %j', (name) => {
    expect(reasonOf(() => parseImageReference(name))).toBe('INVALID_IMAGE_NAME');
  });
});

describe('toLocalReference', () => {
  it.each([
    ['gcr.io/proj/hello', `${R}/proj/hello:latest`, 'proj/hello'],
    ['us.gcr.io/proj/hello:v1', `${R}/proj/hello:v1`, 'proj/hello'],
    ['us-central1-docker.pkg.dev/proj/repo/img', `${R}/proj/repo/img:latest`, 'proj/repo/img'],
    [`gcr.io/proj/hello:v1@${D}`, `${R}/proj/hello@${D}`, 'proj/hello'],
    ['localhost:8091/proj/x:t', `${R}/proj/x:t`, 'proj/x'],
    ['127.0.0.1:8091/proj/x', `${R}/proj/x:latest`, 'proj/x'],
    ['python:3.11-slim', `${R}/library/python:3.11-slim`, 'library/python'],
  ])('%s -> %s', (name, image, repository) => {
    const l = toLocalReference(name, R);
    expect(l.image).toBe(image);
    expect(l.repository).toBe(repository);
  });

  it('keeps tag and digest apart', () => {
    const l = toLocalReference(`gcr.io/proj/hello@${D}`, R);
    expect(l.tag).toBeUndefined();
    expect(l.digest).toBe(D);
    expect(l.project).toBe('proj');
  });

  it('refuses external registries, other local ports and engine-local images', () => {
    expect(reasonOf(() => toLocalReference('quay.io/a/b', R))).toBe('EXTERNAL_REGISTRY');
    expect(reasonOf(() => toLocalReference('localhost:5000/a/b', R))).toBe('EXTERNAL_REGISTRY');
    expect(reasonOf(() => toLocalReference('localhost/bbtest:latest', R))).toBe('EXTERNAL_REGISTRY');
  });

  it('names the project of a repository', () => {
    expect(projectOfRepository('proj/repo/img')).toBe('proj');
  });
});
