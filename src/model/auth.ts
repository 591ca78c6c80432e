/**
 * The identity contract every subsystem codes against. The identity subsystem (src/iam) implements it;
 * tests may use the allow-all variant from test/helpers only.
 */
export interface Principal {
  kind: 'user' | 'serviceAccount' | 'anonymous';
  /** Email for users and service accounts; empty for anonymous. */
  email: string;
  /** IAM member string: user:EMAIL, serviceAccount:EMAIL, or allUsers for anonymous. */
  member: string;
}

export const ANONYMOUS: Principal = { kind: 'anonymous', email: '', member: 'allUsers' };

export interface Authorizer {
  /** Resolves the caller from an Authorization header value; throws UNAUTHENTICATED for a bad credential. */
  authenticate(authorization: string | undefined): Promise<Principal>;
  /**
   * Throws PERMISSION_DENIED naming `permission` unless `principal` holds it on `resource` (a full
   * resource name such as projects/P/locations/L/services/S) or any of its parents.
   */
  authorize(principal: Principal, permission: string, resource: string): Promise<void>;
}

/** What the ingress knows about a request when it asks whether it may reach a service. */
export interface InvokeRequest {
  headers: Record<string, string | string[] | undefined>;
  /** True for callers inside tarmac (instances, the scheduler); false for the outside. */
  internal: boolean;
}

export type InvokeDecision =
  { allow: true; principal: Principal } | { allow: false; status: 401 | 403 | 404; message: string };

/**
 * Decides whether a request may reach a service; the ingress calls it before anything else. A
 * decision that needs no token verification comes back at once, without a promise.
 */
export type InvokeAuthorizer = (
  req: InvokeRequest,
  route: { project: string; region: string; service: string; invokerIamDisabled: boolean; ingress: string },
  audiences: string[],
) => InvokeDecision | Promise<InvokeDecision>;

/** Mints tokens for service accounts (scheduler, metadata server, IAM Credentials). */
export interface TokenMinter {
  /** An RS256 ID token from tarmac's issuer with `aud` = audience, for the service account. */
  idToken(serviceAccountEmail: string, audience: string, opts?: { includeEmail?: boolean }): Promise<string>;
  /** An access token for the service account with the given OAuth scopes. */
  accessToken(serviceAccountEmail: string, scopes: string[]): Promise<{ token: string; expiresAt: number }>;
}

/** What tarmac knows about a running instance, registered under the instance's own loopback address. */
export interface InstanceIdentity {
  project: string;
  projectNumber: string;
  region: string;
  service: string;
  revision: string;
  instanceId: string;
  serviceAccountEmail: string;
}
