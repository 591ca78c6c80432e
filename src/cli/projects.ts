import type { Command } from 'commander';
import type { Policy } from '../client/index.ts';
import { TarmacError } from '../shared/index.ts';
import { defineCommand, userError, type Context } from './core/index.ts';
import { editBinding } from './run/common.ts';
import { memberRole } from './run/iam.ts';

const policyFormat = { defaultFormat: 'yaml' };

/** Read-modify-write of a project's policy (Resource Manager style; retries once on an etag clash). */
async function modifyProjectPolicy(
  ctx: Context,
  project: string,
  edit: (p: Policy) => boolean,
): Promise<Policy> {
  const iam = ctx.client('iam').iam;
  for (let attempt = 0; ; attempt++) {
    const policy = await iam.getIamPolicy(`projects/${project}`);
    if (!edit(policy)) return policy;
    try {
      return await iam.setIamPolicy(`projects/${project}`, policy);
    } catch (e) {
      if (attempt === 0 && e instanceof TarmacError && e.code === 'ABORTED') continue;
      throw e;
    }
  }
}

async function binding(
  ctx: Context,
  project: string,
  opts: Record<string, unknown>,
  add: boolean,
): Promise<void> {
  const { member, role } = memberRole(opts);
  let found = add;
  const policy = await modifyProjectPolicy(ctx, project, (p) => {
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
  ctx.status(`Updated IAM policy for project [${project}].`);
  ctx.print(policy, policyFormat);
}

/** `tarmac projects get-iam-policy | add-iam-policy-binding | remove-iam-policy-binding` (gcloud's shape). */
export function register(group: Command): void {
  defineCommand(group, {
    name: 'add-iam-policy-binding <PROJECT_ID>',
    summary: 'Grant a member a role on the whole project',
    examples: [
      'tarmac projects add-iam-policy-binding PROJECT_ID --member=serviceAccount:runner@PROJECT_ID.iam.gserviceaccount.com --role=roles/run.viewer',
    ],
    run: (ctx, [p], opts) => binding(ctx, p!, opts, true),
  })
    .requiredOption('--member <MEMBER>', 'user:EMAIL, serviceAccount:EMAIL, ...')
    .requiredOption('--role <ROLE>', 'role to grant, e.g. roles/run.viewer');
  defineCommand(group, {
    name: 'remove-iam-policy-binding <PROJECT_ID>',
    summary: 'Remove a member from a role on the project',
    run: (ctx, [p], opts) => binding(ctx, p!, opts, false),
  })
    .requiredOption('--member <MEMBER>', 'member to remove')
    .requiredOption('--role <ROLE>', 'role to remove it from');
  defineCommand(group, {
    name: 'get-iam-policy <PROJECT_ID>',
    summary: 'Print the IAM policy of a project',
    run: async (ctx, [p]) =>
      ctx.print(await ctx.client('iam').iam.getIamPolicy(`projects/${p}`), policyFormat),
  });
}
