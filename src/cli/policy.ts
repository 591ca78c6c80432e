import type { Command } from 'commander';
import type { Policy } from '../client/index.ts';
import { TarmacError } from '../shared/index.ts';
import { defineCommand, invalidFlag, userError, type Context } from './core/index.ts';

/** Reads and writes one resource's IAM policy (a service's, a project's). */
export interface PolicyAccess {
  get(): Promise<Policy>;
  set(policy: Policy): Promise<Policy>;
}

const MEMBER_RE =
  /^(allUsers|allAuthenticatedUsers|(user|serviceAccount|group|domain|principal|principalSet):.+)$/;

/** The --member and --role flags, checked as gcloud checks them. */
export function memberRole(opts: Record<string, unknown>): { member: string; role: string } {
  const member = String(opts.member);
  const role = String(opts.role);
  if (!MEMBER_RE.test(member)) {
    throw invalidFlag(
      '--member',
      `[${member}] must be user:EMAIL, serviceAccount:EMAIL, group:EMAIL, domain:DOMAIN, allUsers or allAuthenticatedUsers.`,
    );
  }
  if (!/^roles\/.+/.test(role)) throw invalidFlag('--role', `[${role}] must look like roles/run.invoker.`);
  return { member, role };
}

/** Adds or removes `member` in the unconditional binding of `role`; false when nothing changed. */
export function editBinding(policy: Policy, role: string, member: string, add: boolean): boolean {
  const bindings = (policy.bindings ??= []);
  let b = bindings.find((x) => x.role === role && !x.condition);
  if (add) {
    if (b?.members.includes(member)) return false;
    if (!b) bindings.push((b = { role, members: [] }));
    b.members.push(member);
    return true;
  }
  if (!b?.members.includes(member)) return false;
  b.members = b.members.filter((m) => m !== member);
  policy.bindings = bindings.filter((x) => x.members.length > 0);
  return true;
}

/** Read-modify-write of a policy; retries once when another writer changed it in between (etag). */
export async function modifyPolicy(io: PolicyAccess, edit: (p: Policy) => boolean): Promise<Policy> {
  for (let attempt = 0; ; attempt++) {
    const policy = await io.get();
    if (!edit(policy)) return policy;
    try {
      return await io.set(policy);
    } catch (e) {
      if (attempt === 0 && e instanceof TarmacError && e.code === 'ABORTED') continue;
      throw e;
    }
  }
}

/**
 * `add-iam-policy-binding` / `remove-iam-policy-binding` on any resource: edits the policy, says
 * "Updated IAM policy for RESOURCE." and prints it; removing a binding that is not there is a user error.
 */
export async function changeBinding(
  ctx: Context,
  io: PolicyAccess,
  opts: Record<string, unknown>,
  add: boolean,
  resource: string,
): Promise<void> {
  const { member, role } = memberRole(opts);
  let found = add;
  const policy = await modifyPolicy(io, (p) => {
    const changed = editBinding(p, role, member, add);
    if (!add) found = changed;
    return changed;
  });
  if (!found) {
    throw userError(
      `Policy binding with the specified member [${member}] and role [${role}] not found.`,
      'BINDING_NOT_FOUND',
      'NOT_FOUND',
    );
  }
  ctx.status(`Updated IAM policy for ${resource}.`);
  ctx.print(policy, { defaultFormat: 'yaml' });
}

export interface BindingCommands {
  /** The positional argument, e.g. `<SERVICE>`. */
  arg: string;
  add: { summary: string; examples: string[]; memberHelp: string; roleHelp: string };
  remove: { summary: string; examples?: string[] };
  run: (ctx: Context, target: string, opts: Record<string, unknown>, add: boolean) => Promise<void>;
}

/** Registers `add-iam-policy-binding` and `remove-iam-policy-binding` with --member and --role. */
export function defineBindingCommands(group: Command, spec: BindingCommands): void {
  defineCommand(group, {
    name: `add-iam-policy-binding ${spec.arg}`,
    summary: spec.add.summary,
    examples: spec.add.examples,
    run: (ctx, [t], opts) => spec.run(ctx, t!, opts, true),
  })
    .requiredOption('--member <MEMBER>', spec.add.memberHelp)
    .requiredOption('--role <ROLE>', spec.add.roleHelp);
  defineCommand(group, {
    name: `remove-iam-policy-binding ${spec.arg}`,
    summary: spec.remove.summary,
    examples: spec.remove.examples,
    run: (ctx, [t], opts) => spec.run(ctx, t!, opts, false),
  })
    .requiredOption('--member <MEMBER>', 'member to remove')
    .requiredOption('--role <ROLE>', 'role to remove it from');
}
