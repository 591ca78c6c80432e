import type {
  DataPlane,
  Principal,
  RevisionReadiness,
  RevisionRuntimeSpec,
  RouteSpec,
} from '../model/index.ts';
import { FakeClock, TarmacError, silentLogger } from '../shared/index.ts';
import { openDatabase } from '../store/index.ts';
import type { IamPolicy, ServicesIam } from './deps.ts';
import { ServicesControlPlane } from './plane.ts';

/** An in-test data plane: images named *fail* never become ready; it records what it was asked. */
export class RecordingDataPlane implements DataPlane {
  readonly running = new Set<string>();
  readonly routes = new Map<string, RouteSpec>();
  readonly ensured: RevisionRuntimeSpec[] = [];
  /** When set, ensureRevision waits for this before answering. */
  gate: Promise<void> | undefined;

  async ensureRevision(spec: RevisionRuntimeSpec): Promise<RevisionReadiness> {
    this.ensured.push(spec);
    await this.gate;
    if (spec.image.includes('fail')) {
      return {
        ready: false,
        reason: 'CONTAINER_EXITED',
        message: 'The container exited with code 3.',
        logTail: ['booting', 'boom: no config'],
      };
    }
    this.running.add(spec.name);
    return { ready: true };
  }
  async retireRevision(name: string): Promise<void> {
    this.running.delete(name);
  }
  setRoutes(route: RouteSpec): void {
    this.routes.set(route.service, route);
  }
  removeRoutes(_p: string, _r: string, service: string): void {
    this.routes.delete(service);
  }
  serviceUrl(project: { number: string }, region: string, service: string, tag?: string): string {
    return `http://${tag ? `${tag}---` : ''}${service}-${project.number}.${region}.run.localhost:8080`;
  }
}

export const OWNER: Principal = {
  kind: 'user',
  email: 'owner@example.com',
  member: 'user:owner@example.com',
};
export const STRANGER: Principal = { kind: 'user', email: 'x@example.com', member: 'user:x@example.com' };

/** An in-memory identity: OWNER may do everything, anyone else nothing. */
export function memoryIam(): ServicesIam {
  const policies = new Map<string, IamPolicy>();
  const deny = (permission: string): TarmacError =>
    new TarmacError('PERMISSION_DENIED', `Permission '${permission}' denied`);
  return {
    authenticate: async () => OWNER,
    authorize: async (p, permission) => {
      if (p.email !== OWNER.email) throw deny(permission);
    },
    project: (id) =>
      id === 'proj' || id === '123456789012'
        ? { projectId: 'proj', projectNumber: '123456789012' }
        : undefined,
    checkActAs: async (p, email) => {
      if (p.email !== OWNER.email || email.startsWith('nobody')) throw deny('iam.serviceAccounts.actAs');
    },
    getPolicy: async (r) => policies.get(r) ?? { version: 1, etag: 'ACAB', bindings: [] },
    setPolicy: async (r, policy) => {
      const next = {
        version: 1,
        etag: `e${policies.size + 1}`,
        bindings: (policy as IamPolicy).bindings ?? [],
      };
      policies.set(r, next);
      return next;
    },
    testPermissions: async (p, _r, perms) => (p.email === OWNER.email ? perms : []),
    deletePolicy: async (r) => {
      policies.delete(r);
    },
  };
}

export function makePlane(
  db = openDatabase(':memory:'),
  dataPlane = new RecordingDataPlane(),
  retireQuietMs = 0,
): {
  plane: ServicesControlPlane;
  dp: RecordingDataPlane;
  clock: FakeClock;
} {
  const clock = new FakeClock();
  const plane = new ServicesControlPlane(db, {
    iam: memoryIam(),
    dataPlane,
    resolveImage: (i) => i.replace(/^gcr\.io\//, 'localhost:8091/'),
    retireQuietMs,
    clock,
    logger: silentLogger(),
  });
  plane.start();
  return { plane, dp: dataPlane, clock };
}

export const LOC = { project: 'proj', region: 'us-central1' };
export const body = (
  image = 'gcr.io/proj/hello',
  extra: Record<string, unknown> = {},
): Record<string, unknown> => ({
  template: { containers: [{ image }] },
  ...extra,
});
