import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { StatePaths } from '../config/index.ts';
import type {
  Authorizer,
  InstanceIdentity,
  InvokeAuthorizer,
  Principal,
  TokenMinter,
} from '../model/index.ts';
import type { Db, MetaRepo } from '../store/index.ts';
import { TarmacError, type Clock, type Logger } from '../shared/index.ts';
import { ServiceAccountRepo, UserRepo, accountNotFound, type ServiceAccount } from './accounts.ts';
import { ApiTokenRepo } from './apitokens.ts';
import { Authn, userPrincipal } from './authn.ts';
import { Authz, permissionDeniedError } from './authz.ts';
import { OWNER_EMAIL, readCredentials, writeCredentials, type OwnerCredentials } from './bootstrap.ts';
import { createInvokeAuthorizer } from './invoke.ts';
import { MetadataServer } from './metadata.ts';
import { METADATA_HTTP_PORT, MetadataFront, type FrontStatus } from './metadata-front.ts';
import { RateLimiter, TokenExchange } from './oauth.ts';
import { PolicyStore, validatePolicy, type Policy } from './policies.ts';
import { ProjectRepo, type Project } from './projects.ts';
import { ServiceAccountKeyRepo } from './sakeys.ts';
import { AccountSigner } from './account-signer.ts';
import { SigningKeyRing } from './signing.ts';
import { TokenService } from './tokens.ts';

export interface IamOptions {
  db: Db;
  meta: MetaRepo;
  clock: Clock;
  logger: Logger;
  paths: StatePaths;
  defaultProject: string;
  defaultRegion: string;
  /** The API listener's base URL (known once it listens): issuer, token_uri, credentials file. */
  apiUrl: () => string;
  /** Metadata server listener; `port80`: also serve metadata.google.internal on 127.0.0.1:80. */
  metadata: { host: string; port: number; port80?: boolean };
}

/** The identity subsystem's one object: repositories, policy checks, tokens and the metadata server. */
export class Iam implements Authorizer, TokenMinter {
  readonly projects: ProjectRepo;
  readonly serviceAccounts: ServiceAccountRepo;
  readonly users: UserRepo;
  readonly keys: ServiceAccountKeyRepo;
  /** signBlob / signJwt with each account's system-managed key. */
  readonly signer: AccountSigner;
  readonly policies: PolicyStore;
  readonly signingKeys: SigningKeyRing;
  readonly tokens: TokenService;
  readonly apiTokens: ApiTokenRepo;
  readonly authz: Authz;
  readonly authn: Authn;
  readonly exchange: TokenExchange;
  readonly tokenRateLimit: RateLimiter;
  readonly metadata: MetadataServer;
  /** 127.0.0.1:80 for metadata.google.internal, shared by the installations on this machine. */
  readonly metadataFront: MetadataFront | undefined;
  /** The ingress's invoker check (see InvokeAuthorizer in src/model/auth.ts). */
  readonly invokeAuthorizer: InvokeAuthorizer;
  private metadataAddr: AddressInfo | undefined;
  private creds: OwnerCredentials | undefined;

  constructor(private readonly o: IamOptions) {
    const { db, clock } = o;
    this.projects = new ProjectRepo(db, clock);
    this.serviceAccounts = new ServiceAccountRepo(db, clock);
    this.users = new UserRepo(db, clock);
    this.keys = new ServiceAccountKeyRepo(db, clock);
    this.signer = new AccountSigner(this.keys, join(o.paths.keys, 'accounts'), clock);
    this.policies = new PolicyStore(db);
    this.apiTokens = new ApiTokenRepo(db, clock);
    this.signingKeys = new SigningKeyRing(db, o.paths.keys, clock);
    this.tokens = new TokenService(this.signingKeys, clock, () => o.apiUrl().replace(/\/$/, ''));
    this.authz = new Authz(this.projects, this.serviceAccounts, this.policies);
    this.authn = new Authn(this.tokens, this.serviceAccounts, this.users, this.apiTokens);
    this.exchange = new TokenExchange(
      this.serviceAccounts,
      this.users,
      this.keys,
      this.tokens,
      this.apiTokens,
      clock,
    );
    this.tokenRateLimit = new RateLimiter(clock);
    const port80 = o.metadata.port80 ?? false;
    this.metadata = new MetadataServer(this, clock, o.logger, port80 ? METADATA_HTTP_PORT : undefined);
    this.metadataFront = port80 ? new MetadataFront(clock, o.logger) : undefined;
    this.invokeAuthorizer = createInvokeAuthorizer(this.tokens, this.authn, this.authz);
  }

  /** Loads signing keys, bootstraps the default project and owner, starts the metadata server. */
  async start(): Promise<void> {
    await this.signingKeys.load();
    this.bootstrap();
    this.metadataAddr = await this.metadata.start(this.o.metadata.host, this.o.metadata.port);
    const front = await this.metadataFront?.start();
    // Without the right to bind port 80 no installation's front can reach our per-instance listeners.
    if (front?.error === 'EACCES') this.metadata.disableInstancePort();
    if (front) this.o.logger.info({ port80: describeFront(front) }, 'metadata server');
  }

  /** metadata.google.internal:80: served here, by another installation, or not at all (and why). */
  get metadataPort80(): FrontStatus | undefined {
    return this.metadataFront?.status;
  }

  async dispose(): Promise<void> {
    await this.metadataFront?.dispose();
    await this.metadata.dispose();
  }

  /** Where the metadata server listens (containers reach it as 10.0.2.2:PORT). */
  get metadataAddress(): AddressInfo {
    if (!this.metadataAddr) throw new Error('iam not started');
    return this.metadataAddr;
  }

  /** The owner's credentials as written to TARMAC_HOME/credentials.json. */
  get ownerCredentials(): OwnerCredentials {
    if (!this.creds) throw new Error('iam not started');
    return this.creds;
  }

  get issuer(): string {
    return this.tokens.issuerUrl;
  }

  // ---- Authorizer -------------------------------------------------------------------------------

  authenticate(authorization: string | undefined): Promise<Principal> {
    return this.authn.authenticate(authorization);
  }

  async authorize(principal: Principal, permission: string, resource: string): Promise<void> {
    this.authz.authorize(principal, permission, resource);
  }

  /**
   * For API route modules: authenticates the request and checks one permission. 401 (with
   * WWW-Authenticate, via sendError) without or with a bad credential; 403 naming the permission.
   */
  async require(req: IncomingMessage, permission: string, resource: string): Promise<Principal> {
    const principal = await this.principal(req);
    if (this.authz.holds(principal, permission, resource)) return principal;
    if (principal.kind === 'anonymous') throw missingCredentials();
    throw permissionDeniedError(permission, resource);
  }

  /** For routes needing only a signed-in caller (testIamPermissions): 401 when anonymous. */
  async principal(req: IncomingMessage, allowAnonymous = false): Promise<Principal> {
    const header = req.headers.authorization;
    const p = await this.authenticate(Array.isArray(header) ? header[0] : header);
    if (p.kind === 'anonymous' && !allowAnonymous) throw missingCredentials();
    return p;
  }

  /** Deploying as (or running a job as) a service account needs iam.serviceAccounts.actAs on it. */
  async checkActAs(principal: Principal, serviceAccountEmail: string): Promise<ServiceAccount> {
    const sa = this.serviceAccounts.find(serviceAccountEmail);
    const resource = `projects/${sa?.projectId ?? '-'}/serviceAccounts/${serviceAccountEmail}`;
    this.authz.authorize(principal, 'iam.serviceAccounts.actAs', resource);
    if (!sa) throw accountNotFound(serviceAccountEmail);
    return sa;
  }

  // ---- TokenMinter ------------------------------------------------------------------------------

  async idToken(
    serviceAccountEmail: string,
    audience: string,
    opts: { includeEmail?: boolean } = {},
  ): Promise<string> {
    const sa = this.liveAccount(serviceAccountEmail);
    return this.tokens.mintId({
      sub: sa.uniqueId,
      email: sa.email,
      audience,
      includeEmail: opts.includeEmail ?? false,
    });
  }

  async accessToken(
    serviceAccountEmail: string,
    scopes: string[],
  ): Promise<{ token: string; expiresAt: number }> {
    const sa = this.liveAccount(serviceAccountEmail);
    return this.tokens.mintAccess({ sub: sa.uniqueId, email: sa.email, scopes });
  }

  /** Tokens for any principal (users too): used by print-identity-token and tests. */
  async tokensFor(principal: Principal): Promise<{ sub: string; email: string }> {
    if (principal.kind === 'serviceAccount') {
      const sa = this.liveAccount(principal.email);
      return { sub: sa.uniqueId, email: sa.email };
    }
    if (principal.kind === 'user')
      return { sub: this.users.ensure(principal.email).uniqueId, email: principal.email };
    throw new TarmacError('INVALID_ARGUMENT', 'anonymous callers have no tokens');
  }

  /** An access token for a user or service account (tests and `auth print-access-token`). */
  async accessTokenFor(
    principal: Principal,
    scopes = ['https://www.googleapis.com/auth/cloud-platform'],
  ): Promise<string> {
    const s = await this.tokensFor(principal);
    return (await this.tokens.mintAccess({ ...s, scopes })).token;
  }

  /** An ID token for a user or service account. */
  async idTokenFor(principal: Principal, audience: string, includeEmail = true): Promise<string> {
    const s = await this.tokensFor(principal);
    return this.tokens.mintId({ ...s, audience, includeEmail });
  }

  // ---- Instances (serving registers each instance's loopback address) ---------------------------

  registerInstance(address: string, info: InstanceIdentity): void {
    this.metadata.register(address, info);
  }

  unregisterInstance(address: string): void {
    this.metadata.unregister(address);
  }

  /** The instance a source address belongs to: inside callers for ingress `internal`. */
  instanceAt(address: string | undefined): InstanceIdentity | undefined {
    return this.metadata.lookup(address);
  }

  // ---- Resource policies (run v2 services call these from getIamPolicy/setIamPolicy) -----------

  getResourcePolicy(resource: string): Policy {
    return this.policies.get(this.authz.canonical(resource));
  }

  /** Replaces a resource's policy from a setIamPolicy body's `policy`; etag mismatch -> ABORTED. */
  setResourcePolicy(resource: string, policy: unknown): Policy {
    const { bindings, etag } = validatePolicy(policy);
    return this.policies.set(this.authz.canonical(resource), bindings, etag);
  }

  addBinding(resource: string, role: string, member: string): Policy {
    return this.policies.addBinding(this.authz.canonical(resource), role, member);
  }

  removeBinding(resource: string, role: string, member: string): Policy {
    return this.policies.removeBinding(this.authz.canonical(resource), role, member);
  }

  deleteResourcePolicy(resource: string): void {
    this.policies.delete(this.authz.canonical(resource));
  }

  /** testIamPermissions: the subset of `permissions` the caller holds on the resource. */
  testIamPermissions(principal: Principal, resource: string, permissions: string[]): string[] {
    return this.authz.test(principal, resource, permissions);
  }

  // ---- Projects ---------------------------------------------------------------------------------

  /** A new project with its default compute account; `owner` gets roles/owner on it. */
  createProject(projectId: string, owner?: Principal, displayName?: string): Project {
    const p = this.projects.create(projectId, displayName);
    this.serviceAccounts.ensureDefaultCompute(p);
    if (owner && owner.kind !== 'anonymous')
      this.policies.addBinding(`projects/${p.projectId}`, 'roles/owner', owner.member);
    return p;
  }

  /** The default compute service account's email for a project (ID or number). */
  defaultServiceAccount(project: string): string {
    return this.serviceAccounts.ensureDefaultCompute(this.projects.get(project)).email;
  }

  private liveAccount(email: string): ServiceAccount {
    const sa = this.serviceAccounts.get(email);
    if (sa.disabled) {
      throw new TarmacError('FAILED_PRECONDITION', `Service account ${sa.email} is disabled.`, {
        reason: 'ACCOUNT_DISABLED',
      });
    }
    return sa;
  }

  private bootstrap(): void {
    const { meta, defaultProject, defaultRegion, paths } = this.o;
    const owner = userPrincipal(meta.getOrCreate('iam.owner', () => OWNER_EMAIL));
    this.users.ensure(owner.email);
    if (!this.projects.find(defaultProject)) this.createProject(defaultProject, owner);
    for (const p of this.projects.list()) this.serviceAccounts.ensureDefaultCompute(p);
    const existing = readCredentials(paths.credentials)?.token;
    const token =
      existing && this.apiTokens.resolve(existing) === owner.member
        ? existing
        : this.apiTokens.create(owner.member, 'owner credentials');
    this.creds = writeCredentials(paths.credentials, {
      apiEndpoint: this.o.apiUrl().replace(/\/$/, ''),
      project: this.projects.get(defaultProject),
      region: defaultRegion,
      account: owner.email,
      token,
    });
  }
}

/** One line for `tarmac serve`'s output and log about metadata.google.internal on port 80. */
export function describeFront(s: FrontStatus): string {
  if (s.listening) return 'served on 127.0.0.1:80';
  if (s.error === 'EADDRINUSE')
    return '127.0.0.1:80 is held by another process (another tarmac forwards to this one; see `tarmac doctor`)';
  if (s.error === 'EACCES')
    return 'unavailable: binding port 80 needs root; containers use GCE_METADATA_HOST only';
  return `unavailable (${s.error ?? 'unknown'}); containers use GCE_METADATA_HOST only`;
}

function missingCredentials(): TarmacError {
  return new TarmacError(
    'UNAUTHENTICATED',
    'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
    { reason: 'CREDENTIALS_MISSING' },
  );
}
