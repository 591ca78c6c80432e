import { TarmacError } from '../shared/index.ts';
import { clip, isValidPathComponent, isValidRepositoryName, isValidTag, tryParseDigest } from './names.ts';

/**
 * The one image-name parser. Every place tarmac takes an image name (deploy, builds, jobs) passes it
 * through here, so Google's shapes (gcr.io/P/I, REGION-docker.pkg.dev/P/R/I), the local form
 * (localhost:8091/P/I) and Docker Hub short names all land on the built-in registry the same way.
 */
export type RegistryKind = 'gcr' | 'artifact-registry' | 'local' | 'docker-hub' | 'other';

export interface ImageReference {
  /** The name as given. */
  raw: string;
  /** Registry host (and port), lowercased; Docker Hub's aliases become docker.io. */
  domain: string;
  /** The repository path on that registry, e.g. library/python or PROJECT/IMAGE. */
  path: string;
  tag: string | undefined;
  digest: string | undefined;
  kind: RegistryKind;
  /** Project ID for gcr, Artifact Registry and local names. */
  project: string | undefined;
  /** gcr multi-region (us, eu, asia) or Artifact Registry location (us-central1, europe). */
  location: string | undefined;
  /** Repository name inside the built-in registry when the name maps onto it. */
  repository: string | undefined;
}

export interface LocalReference {
  /** Pullable reference on the built-in registry: HOST:PORT/REPOSITORY:TAG, or @DIGEST when pinned. */
  image: string;
  /** Repository name in the built-in registry: PROJECT/IMAGE, PROJECT/REPO/IMAGE or library/NAME. */
  repository: string;
  project: string | undefined;
  /** The tag, `latest` when neither tag nor digest was given. */
  tag: string | undefined;
  digest: string | undefined;
}

const GCR_HOSTS: Record<string, string | undefined> = {
  'gcr.io': undefined,
  'us.gcr.io': 'us',
  'eu.gcr.io': 'eu',
  'asia.gcr.io': 'asia',
};
const ARTIFACT_HOST_RE = /^([a-z][a-z0-9-]*[a-z0-9])-docker\.pkg\.dev$/;
const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const HOST_RE =
  /^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?$/;

function bad(name: string, why: string): TarmacError {
  return new TarmacError('INVALID_ARGUMENT', `invalid image name "${clip(name)}": ${why}`, {
    reason: 'INVALID_IMAGE_NAME',
    fieldViolations: [{ field: 'image', description: why }],
  });
}

/** Splits `host:port` into host and port (port undefined when absent). */
function splitHostPort(domain: string): { host: string; port: string | undefined } {
  const m = /^(.*?)(?::([0-9]+))?$/.exec(domain);
  return { host: m?.[1] ?? domain, port: m?.[2] };
}

/** Splits a name into [domain | undefined, rest], using Docker's rule for what counts as a host. */
function splitDomain(name: string): [string | undefined, string] {
  const i = name.indexOf('/');
  if (i < 0) return [undefined, name];
  const first = name.slice(0, i);
  const isHost =
    first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase();
  return isHost ? [first, name.slice(i + 1)] : [undefined, name];
}

/** Splits `path[:tag][@digest]`. */
function splitTagDigest(raw: string, rest: string): { path: string; tag?: string; digest?: string } {
  let path = rest;
  let digest: string | undefined;
  const at = path.indexOf('@');
  if (at >= 0) {
    digest = path.slice(at + 1);
    path = path.slice(0, at);
    if (!tryParseDigest(digest)) throw bad(raw, 'the digest must be sha256:<64 hex> or sha512:<128 hex>');
  }
  let tag: string | undefined;
  const colon = path.lastIndexOf(':');
  if (colon >= 0) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!isValidTag(tag)) throw bad(raw, 'a tag is 1-128 of [A-Za-z0-9_.-] and does not start with . or -');
  }
  return { path, tag, digest };
}

/** Parses an image name in any of the shapes tarmac accepts; fails with INVALID_IMAGE_NAME. */
export function parseImageReference(name: string): ImageReference {
  const raw = name;
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > 1024) throw bad(raw, 'the name is empty or too long');
  const [domainIn, rest] = splitDomain(trimmed);
  if (domainIn !== undefined && !HOST_RE.test(domainIn)) throw bad(raw, 'the registry host is not valid');
  const { path, tag, digest } = splitTagDigest(raw, rest);
  if (!isValidRepositoryName(path)) {
    throw bad(raw, 'path components are lowercase letters and digits separated by ".", "_", "__" or "-"');
  }
  let domain = (domainIn ?? 'docker.io').toLowerCase();
  const base: Omit<ImageReference, 'kind' | 'project' | 'location' | 'repository'> = {
    raw,
    domain,
    path,
    tag,
    digest,
  };
  const parts = path.split('/');
  if (domain in GCR_HOSTS) {
    if (parts.length < 2) throw bad(raw, `expected ${domain}/PROJECT/IMAGE`);
    return { ...base, kind: 'gcr', project: parts[0], location: GCR_HOSTS[domain], repository: path };
  }
  const ar = ARTIFACT_HOST_RE.exec(domain);
  if (ar) {
    if (parts.length < 3) throw bad(raw, `expected ${domain}/PROJECT/REPOSITORY/IMAGE`);
    return { ...base, kind: 'artifact-registry', project: parts[0], location: ar[1], repository: path };
  }
  if (DOCKER_HUB_HOSTS.has(domain)) {
    domain = 'docker.io';
    const repo = parts.length === 1 ? `library/${path}` : path;
    return {
      ...base,
      domain,
      path: repo,
      kind: 'docker-hub',
      project: undefined,
      location: undefined,
      repository: repo,
    };
  }
  if (LOOPBACK_HOSTS.has(splitHostPort(domain).host)) {
    // A one-component local name (localhost/bbtest) is an engine-local image, not a registry one.
    const inRegistry = parts.length >= 2;
    return {
      ...base,
      kind: 'local',
      project: inRegistry ? parts[0] : undefined,
      location: undefined,
      repository: inRegistry ? path : undefined,
    };
  }
  return { ...base, kind: 'other', project: undefined, location: undefined, repository: undefined };
}

/** The canonical string form: DOMAIN/PATH[:TAG][@DIGEST]. */
export function formatReference(ref: Pick<ImageReference, 'domain' | 'path' | 'tag' | 'digest'>): string {
  return `${ref.domain}/${ref.path}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** True when a parsed name lives in the built-in registry listening at `registryHostPort`. */
export function isBuiltinReference(ref: ImageReference, registryHostPort: string): boolean {
  if (ref.kind === 'local')
    return ref.repository !== undefined && sameLocalPort(ref.domain, registryHostPort);
  return ref.repository !== undefined;
}

function sameLocalPort(domain: string, registryHostPort: string): boolean {
  const a = splitHostPort(domain);
  const b = splitHostPort(registryHostPort.toLowerCase());
  return (a.port ?? '80') === (b.port ?? '80');
}

/**
 * Maps an image name onto the built-in registry at `registryHostPort` (e.g. 127.0.0.1:8091): the
 * pullable form and the repository name there. Names of other registries fail with
 * EXTERNAL_REGISTRY, as they cannot be served from here.
 */
export function toLocalReference(name: string, registryHostPort: string): LocalReference {
  const ref = parseImageReference(name);
  if (!isBuiltinReference(ref, registryHostPort) || ref.repository === undefined) {
    throw new TarmacError(
      'INVALID_ARGUMENT',
      `image "${clip(name)}" is not in tarmac's registry; use gcr.io/PROJECT/IMAGE, ` +
        `REGION-docker.pkg.dev/PROJECT/REPO/IMAGE or ${registryHostPort}/PROJECT/IMAGE`,
      {
        reason: 'EXTERNAL_REGISTRY',
        fieldViolations: [{ field: 'image', description: 'external registry' }],
      },
    );
  }
  const tag = ref.tag ?? (ref.digest ? undefined : 'latest');
  // Podman refuses name:tag@digest, so a pinned reference carries the digest alone.
  const suffix = ref.digest ? `@${ref.digest}` : `:${tag}`;
  return {
    image: `${registryHostPort}/${ref.repository}${suffix}`,
    repository: ref.repository,
    project: ref.project,
    tag,
    digest: ref.digest,
  };
}

/** The project a built-in repository name belongs to (its first path component). */
export function projectOfRepository(repository: string): string {
  const first = repository.split('/')[0] ?? '';
  if (!isValidPathComponent(first)) throw bad(repository, 'no project component');
  return first;
}
