import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../store/index.ts';
import { TarmacError, invalidArgument } from '../shared/index.ts';
import { isKnownRole } from './roles.ts';

export interface Binding {
  role: string;
  members: string[];
  condition?: { expression: string; title?: string; description?: string };
}

/** google.iam.v1.Policy in its JSON shape. */
export interface Policy {
  version: number;
  etag: string;
  bindings: Binding[];
}

/** The etag of a resource that never had a policy, as Google reports it. */
export const EMPTY_ETAG = 'ACAB';

const MEMBER = /^(user|serviceAccount|group|domain):[^\s:]+$|^(allUsers|allAuthenticatedUsers)$/;

function sameEtag(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Checks and normalizes a policy from a setIamPolicy body: known roles, valid members, merged roles. */
export function validatePolicy(input: unknown): { bindings: Binding[]; etag?: string } {
  if (typeof input !== 'object' || input === null)
    throw invalidArgument('policy is required', [{ field: 'policy', description: 'required' }]);
  const p = input as { bindings?: unknown; etag?: unknown };
  const raw = p.bindings ?? [];
  if (!Array.isArray(raw)) throw invalidArgument('policy.bindings must be a list');
  const merged = new Map<string, Set<string>>();
  raw.forEach((b: unknown, i) => {
    const binding = b as Partial<Binding> | null;
    const field = `policy.bindings[${i}]`;
    if (!binding || typeof binding.role !== 'string')
      throw invalidArgument(`${field}.role is required`, [
        { field: `${field}.role`, description: 'required' },
      ]);
    if (binding.condition) {
      throw invalidArgument('conditional role bindings are not supported', [
        { field: `${field}.condition`, description: 'not supported' },
      ]);
    }
    if (!isKnownRole(binding.role)) {
      throw new TarmacError('INVALID_ARGUMENT', `Role ${binding.role} is not supported for this resource.`, {
        reason: 'UNKNOWN_ROLE',
        fieldViolations: [{ field: `${field}.role`, description: 'unknown role' }],
      });
    }
    const members = binding.members ?? [];
    if (!Array.isArray(members)) throw invalidArgument(`${field}.members must be a list`);
    const set = merged.get(binding.role) ?? new Set<string>();
    for (const m of members) {
      if (typeof m !== 'string' || !MEMBER.test(m)) {
        throw new TarmacError('INVALID_ARGUMENT', `Invalid member ${JSON.stringify(m)} in ${field}.`, {
          reason: 'INVALID_MEMBER',
          fieldViolations: [
            {
              field: `${field}.members`,
              description: 'user:, serviceAccount:, group:, domain:, allUsers or allAuthenticatedUsers',
            },
          ],
        });
      }
      set.add(
        m.startsWith('user:') || m.startsWith('serviceAccount:')
          ? m.replace(/:(.*)$/, (_, e: string) => `:${e.toLowerCase()}`)
          : m,
      );
    }
    merged.set(binding.role, set);
  });
  const bindings = [...merged]
    .filter(([, m]) => m.size > 0)
    .map(([role, m]) => ({ role, members: [...m].sort() }));
  return { bindings, ...(typeof p.etag === 'string' && p.etag !== '' ? { etag: p.etag } : {}) };
}

/** IAM policies keyed by canonical resource name, cached in memory (the ingress reads them per request). */
export class PolicyStore {
  private readonly cache = new Map<string, Policy>();

  constructor(private readonly db: Db) {}

  get(resource: string): Policy {
    const hit = this.cache.get(resource);
    if (hit) return hit;
    const row = this.db
      .prepare('SELECT bindings, version, etag FROM iam_policies WHERE resource = ?')
      .get(resource) as { bindings: string; version: number; etag: string } | undefined;
    const policy: Policy = row
      ? { version: row.version, etag: row.etag, bindings: JSON.parse(row.bindings) as Binding[] }
      : { version: 1, etag: EMPTY_ETAG, bindings: [] };
    this.cache.set(resource, policy);
    return policy;
  }

  /** Overwrites a policy; with `etag`, only if it still matches (else ABORTED). */
  set(resource: string, bindings: Binding[], etag?: string): Policy {
    return this.db.transaction(() => {
      const current = this.get(resource);
      if (etag !== undefined && !sameEtag(etag, current.etag)) {
        throw new TarmacError(
          'ABORTED',
          'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.',
          { reason: 'ETAG_MISMATCH' },
        );
      }
      const next: Policy = { version: 1, etag: randomBytes(8).toString('base64'), bindings };
      this.db
        .prepare(
          `INSERT INTO iam_policies (resource, bindings, version, etag) VALUES (?, ?, ?, ?)
           ON CONFLICT(resource) DO UPDATE SET bindings = excluded.bindings, version = excluded.version, etag = excluded.etag`,
        )
        .run(resource, JSON.stringify(next.bindings), next.version, next.etag);
      this.cache.set(resource, next);
      return next;
    })();
  }

  /** Adds `member` to `role` (read-modify-write in one transaction). */
  addBinding(resource: string, role: string, member: string): Policy {
    return this.db.transaction(() => {
      const cur = this.get(resource);
      const bindings = cur.bindings.map((b) => ({ ...b, members: [...b.members] }));
      const b = bindings.find((x) => x.role === role);
      if (b?.members.includes(member)) return cur;
      if (b) b.members.push(member);
      else bindings.push({ role, members: [member] });
      return this.set(resource, validatePolicy({ bindings }).bindings);
    })();
  }

  /** Removes `member` from `role`. */
  removeBinding(resource: string, role: string, member: string): Policy {
    return this.db.transaction(() => {
      const cur = this.get(resource);
      const bindings = cur.bindings
        .map((b) => (b.role === role ? { ...b, members: b.members.filter((m) => m !== member) } : b))
        .filter((b) => b.members.length > 0);
      return this.set(resource, bindings);
    })();
  }

  /** Forgets a resource's policy (its resource was deleted). */
  delete(resource: string): void {
    this.db.prepare('DELETE FROM iam_policies WHERE resource = ?').run(resource);
    this.cache.delete(resource);
  }
}
