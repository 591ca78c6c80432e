import type { Principal } from '../model/index.ts';
import { TarmacError } from '../shared/index.ts';
import type { ServiceAccountRepo } from './accounts.ts';
import type { PolicyStore } from './policies.ts';
import type { ProjectRepo } from './projects.ts';
import { PREDEFINED_ROLES } from './roles.ts';

const ROLE_PERMS = new Map([...PREDEFINED_ROLES].map(([name, r]) => [name, new Set(r.includedPermissions)]));

function memberMatches(member: string, p: Principal): boolean {
  if (member === 'allUsers') return true;
  if (member === 'allAuthenticatedUsers') return p.kind !== 'anonymous';
  if (p.kind === 'anonymous') return false;
  if (member.toLowerCase() === p.member.toLowerCase()) return true;
  return member.startsWith('domain:') && p.email.toLowerCase().endsWith(`@${member.slice(7).toLowerCase()}`);
}

export function permissionDeniedError(permission: string, resource: string): TarmacError {
  return new TarmacError(
    'PERMISSION_DENIED',
    `Permission '${permission}' denied on resource '${resource}' (or it may not exist).`,
    {
      reason: 'IAM_PERMISSION_DENIED',
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'IAM_PERMISSION_DENIED',
          domain: 'iam.googleapis.com',
          metadata: { permission, resource },
        },
      ],
    },
  );
}

/** Policy evaluation: a permission is held on a resource when any binding on it or a parent grants it. */
export class Authz {
  constructor(
    private readonly projects: ProjectRepo,
    private readonly accounts: ServiceAccountRepo,
    private readonly policies: PolicyStore,
  ) {}

  /**
   * The name policies are stored under: project numbers become IDs, and a service account named by
   * unique id or under `projects/-` moves to its own project and email.
   */
  canonical(resource: string): string {
    const parts = resource.replace(/^\/+|\/+$/g, '').split('/');
    if (parts[0] !== 'projects' || parts[1] === undefined) return parts.join('/');
    if (parts[2] === 'serviceAccounts' && parts[3] !== undefined) {
      const sa = this.accounts.find(parts[3]);
      if (sa) {
        parts[1] = sa.projectId;
        parts[3] = sa.email;
        return parts.join('/');
      }
    }
    const project = this.projects.find(parts[1]);
    if (project) parts[1] = project.projectId;
    return parts.join('/');
  }

  /** The canonical resource and each ancestor, most specific first. */
  chain(resource: string): string[] {
    const parts = this.canonical(resource).split('/');
    const out: string[] = [];
    for (let i = parts.length - (parts.length % 2); i >= 2; i -= 2) out.push(parts.slice(0, i).join('/'));
    return out;
  }

  holds(principal: Principal, permission: string, resource: string): boolean {
    for (const name of this.chain(resource)) {
      for (const b of this.policies.get(name).bindings) {
        if (!ROLE_PERMS.get(b.role)?.has(permission)) continue;
        if (b.members.some((m) => memberMatches(m, principal))) return true;
      }
    }
    return false;
  }

  /** Throws PERMISSION_DENIED (reason IAM_PERMISSION_DENIED) naming the permission. */
  authorize(principal: Principal, permission: string, resource: string): void {
    if (!this.holds(principal, permission, resource)) throw permissionDeniedError(permission, resource);
  }

  /** The subset of `permissions` the principal holds on the resource (testIamPermissions). */
  test(principal: Principal, resource: string, permissions: string[]): string[] {
    return permissions.filter((p) => this.holds(principal, p, resource));
  }
}
