import { readFileSync } from 'node:fs';
import { yaml } from '../core/yaml.ts';
import type { Command } from 'commander';
import type { Policy } from '../../client/index.ts';
import { defineCommand, invalidFlag, userError, type Context } from '../core/index.ts';
import { editBinding, getService, modifyServicePolicy, serviceTarget } from './common.ts';

const MEMBER_RE =
  /^(allUsers|allAuthenticatedUsers|(user|serviceAccount|group|domain|principal|principalSet):.+)$/;

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

const policyFormat = { defaultFormat: 'yaml' };

async function binding(
  ctx: Context,
  service: string,
  opts: Record<string, unknown>,
  add: boolean,
): Promise<void> {
  const { member, role } = memberRole(opts);
  const t = serviceTarget(ctx, service);
  await getService(ctx, t);
  let found = add;
  const policy = await modifyServicePolicy(ctx, t.name, (p) => {
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
  ctx.status(`Updated IAM policy for service [${service}].`);
  ctx.print(policy, policyFormat);
}

function readPolicyFile(file: string): Policy {
  let doc: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    doc = file.endsWith('.json') ? JSON.parse(text) : yaml().parse(text);
  } catch (e) {
    throw userError(`Cannot read the policy file ${file}: ${(e as Error).message}`, 'BAD_POLICY_FILE');
  }
  const p = doc as Policy | null;
  if (!p || typeof p !== 'object' || (p.bindings !== undefined && !Array.isArray(p.bindings))) {
    throw userError(
      `${file} is not an IAM policy: it needs a "bindings" list of {role, members}.`,
      'BAD_POLICY_FILE',
    );
  }
  return p;
}

/** `run services get-iam-policy | set-iam-policy | add-iam-policy-binding | remove-iam-policy-binding`. */
export function registerServiceIam(group: Command): void {
  defineCommand(group, {
    name: 'add-iam-policy-binding <SERVICE>',
    summary: 'Add a member to a role in the IAM policy of a service',
    examples: [
      'tarmac run services add-iam-policy-binding hello --member=allUsers --role=roles/run.invoker',
      'tarmac run services add-iam-policy-binding hello --member=serviceAccount:sched@PROJECT_ID.iam.gserviceaccount.com --role=roles/run.invoker',
    ],
    run: (ctx, [s], opts) => binding(ctx, s!, opts, true),
  })
    .requiredOption('--member <MEMBER>', 'user:EMAIL, serviceAccount:EMAIL, allUsers, ...')
    .requiredOption('--role <ROLE>', 'role to grant, e.g. roles/run.invoker');
  defineCommand(group, {
    name: 'remove-iam-policy-binding <SERVICE>',
    summary: 'Remove a member from a role in the IAM policy of a service',
    examples: [
      'tarmac run services remove-iam-policy-binding hello --member=allUsers --role=roles/run.invoker',
    ],
    run: (ctx, [s], opts) => binding(ctx, s!, opts, false),
  })
    .requiredOption('--member <MEMBER>', 'member to remove')
    .requiredOption('--role <ROLE>', 'role to remove it from');
  defineCommand(group, {
    name: 'get-iam-policy <SERVICE>',
    summary: 'Print the IAM policy of a service',
    examples: [
      'tarmac run services get-iam-policy hello',
      'tarmac run services get-iam-policy hello --format=json > policy.json',
    ],
    run: async (ctx, [s]) => {
      const t = serviceTarget(ctx, s!);
      ctx.print(await ctx.client().run.getIamPolicy(t.name), policyFormat);
    },
  });
  defineCommand(group, {
    name: 'set-iam-policy <SERVICE> <POLICY_FILE>',
    summary: 'Replace the IAM policy of a service with one from a JSON or YAML file',
    examples: ['tarmac run services set-iam-policy hello policy.yaml'],
    run: async (ctx, [s, file]) => {
      const t = serviceTarget(ctx, s!);
      const policy = readPolicyFile(file!);
      const out = await ctx.client().run.setIamPolicy(t.name, policy);
      ctx.status(`Updated IAM policy for service [${s}].`);
      ctx.print(out, policyFormat);
    },
  });
}
