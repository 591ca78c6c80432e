import type { Command } from 'commander';
import type { Policy } from '../client/index.ts';
import { defineCommand, type Context } from './core/index.ts';
import { changeBinding, defineBindingCommands } from './policy.ts';

const policyFormat = { defaultFormat: 'yaml' };

/** A project's add-/remove-iam-policy-binding (Resource Manager's policy, through the IAM client). */
function binding(ctx: Context, project: string, opts: Record<string, unknown>, add: boolean): Promise<void> {
  const iam = ctx.client('iam').iam;
  const resource = `projects/${project}`;
  const io = { get: () => iam.getIamPolicy(resource), set: (p: Policy) => iam.setIamPolicy(resource, p) };
  return changeBinding(ctx, io, opts, add, `project [${project}]`);
}

/** `tarmac projects get-iam-policy | add-iam-policy-binding | remove-iam-policy-binding` (gcloud's shape). */
export function register(group: Command): void {
  defineBindingCommands(group, {
    arg: '<PROJECT_ID>',
    add: {
      summary: 'Grant a member a role on the whole project',
      examples: [
        'tarmac projects add-iam-policy-binding PROJECT_ID --member=serviceAccount:runner@PROJECT_ID.iam.gserviceaccount.com --role=roles/run.viewer',
      ],
      memberHelp: 'user:EMAIL, serviceAccount:EMAIL, ...',
      roleHelp: 'role to grant, e.g. roles/run.viewer',
    },
    remove: { summary: 'Remove a member from a role on the project' },
    run: binding,
  });
  defineCommand(group, {
    name: 'get-iam-policy <PROJECT_ID>',
    summary: 'Print the IAM policy of a project',
    run: async (ctx, [p]) =>
      ctx.print(await ctx.client('iam').iam.getIamPolicy(`projects/${p}`), policyFormat),
  });
}
