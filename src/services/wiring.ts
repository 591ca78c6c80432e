import type { Iam } from '../iam/index.ts';
import { isBuiltinReference, parseImageReference, toLocalReference } from '../registry/index.ts';
import type { ImageResolver, ServicesIam } from './deps.ts';

/** Adapts the identity subsystem to what the services control plane needs. */
export function servicesIamOf(iam: Iam): ServicesIam {
  return {
    authenticate: (h) => iam.authenticate(h),
    authorize: (p, permission, resource) => iam.authorize(p, permission, resource),
    project: (idOrNumber) => {
      const p = iam.projects.find(idOrNumber);
      return p ? { projectId: p.projectId, projectNumber: p.projectNumber } : undefined;
    },
    checkActAs: async (p, email) => {
      await iam.checkActAs(p, email);
    },
    getPolicy: async (resource) => iam.getResourcePolicy(resource),
    setPolicy: async (resource, policy) => iam.setResourcePolicy(resource, policy),
    testPermissions: async (p, resource, permissions) => iam.testIamPermissions(p, resource, permissions),
    deletePolicy: async (resource) => iam.deleteResourcePolicy(resource),
  };
}

/** `image` (host/repo:tag or host/repo@digest) pinned to `digest`. */
export function withDigest(image: string, digest: string): string {
  return `${image.replace(/(@sha256:[0-9a-f]+|:[^/:@]+)$/, '')}@${digest}`;
}

/** The sha256 digest an image reference is pinned to, if any. */
export function digestOf(image: string): string | undefined {
  return /@(sha256:[0-9a-f]{64})$/.exec(image)?.[1];
}

/** Resolves a built-in registry reference's tag to the digest it points at now. */
export function imageDigestFor(
  registryHostPort: () => string,
  resolveTag: (repository: string, tag: string) => string | undefined,
): (image: string) => string | undefined {
  return (image) => {
    const ref = parseImageReference(image);
    if (!isBuiltinReference(ref, registryHostPort())) return undefined;
    const local = toLocalReference(image, registryHostPort());
    return local.digest ?? (local.tag ? resolveTag(local.repository, local.tag) : undefined);
  };
}

/**
 * Image names in Google's shapes (and Docker Hub names, mirrored there) map onto the built-in registry;
 * an engine-local name (localhost/NAME, one component) and other registries pass through unchanged.
 * Malformed names fail with INVALID_IMAGE_NAME.
 */
export function imageResolverFor(registryHostPort: () => string): ImageResolver {
  return (image) => {
    const ref = parseImageReference(image);
    const hostPort = registryHostPort();
    if (ref.kind === 'other' || (ref.kind === 'local' && !isBuiltinReference(ref, hostPort))) return image;
    return toLocalReference(image, hostPort).image;
  };
}
