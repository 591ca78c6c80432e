import type { DataPlane, Principal } from '../model/index.ts';
import type { Clock, Logger } from '../shared/index.ts';

export interface ProjectRef {
  projectId: string;
  projectNumber: string;
}

/** google.iam.v1.Policy in its JSON shape. */
export interface IamPolicy {
  version: number;
  etag: string;
  bindings: { role: string; members: string[]; condition?: Record<string, unknown> }[];
}

/**
 * What the services control plane needs from identity. The platform adapts src/iam to it; unit tests
 * give an in-memory one.
 */
export interface ServicesIam {
  /** The caller of a request; UNAUTHENTICATED for a bad credential. */
  authenticate(authorization: string | undefined): Promise<Principal>;
  /** PERMISSION_DENIED unless the principal holds `permission` on `resource` or a parent. */
  authorize(principal: Principal, permission: string, resource: string): Promise<void>;
  /** A project by ID or number. */
  project(idOrNumber: string): ProjectRef | undefined;
  /** PERMISSION_DENIED unless the principal may deploy code running as the service account. */
  checkActAs(principal: Principal, serviceAccountEmail: string): Promise<void>;
  getPolicy(resource: string): Promise<IamPolicy>;
  /** Overwrites a resource's policy; ABORTED when `policy.etag` is set and stale. */
  setPolicy(resource: string, policy: unknown): Promise<IamPolicy>;
  /** The subset of permissions the principal holds on the resource. */
  testPermissions(principal: Principal, resource: string, permissions: string[]): Promise<string[]>;
  /** Forgets a deleted resource's policy. */
  deletePolicy(resource: string): Promise<void>;
}

/** Maps a user's image name (gcr.io/..., REGION-docker.pkg.dev/...) to a reference the engine pulls. */
export type ImageResolver = (image: string) => string;

export interface ServicesDeps {
  iam: ServicesIam;
  dataPlane: DataPlane;
  resolveImage: ImageResolver;
  /**
   * The digest a resolved image's tag points at now (built-in registry), so a revision runs the image
   * it was created with, as Cloud Run pins revisions to digests; undefined when unknown.
   */
  imageDigest?: (image: string) => string | undefined;
  /**
   * How long revision starts must have been quiet before a superseded revision is stopped (default
   * 1 s; 0 stops at once). See retire-gate.ts.
   */
  retireQuietMs?: number;
  /** How long a new revision may take to become ready before it fails (default 600 s). */
  progressDeadlineMs?: number;
  clock: Clock;
  logger: Logger;
}
