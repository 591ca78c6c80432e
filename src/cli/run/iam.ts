import { readFileSync } from 'node:fs';
import { yaml } from '../core/yaml.ts';
import type { Command } from 'commander';
import type { Policy } from '../../client/index.ts';
import { defineCommand, userError, type Context } from '../core/index.ts';
import { changeBinding, defineBindingCommands } from '../policy.ts';
import { getService, servicePolicy, serviceTarget } from './common.ts';

/** A service's add-/remove-iam-policy-binding: the service must exist (NOT_FOUND otherwise). */
async function binding(
  ctx: Context,
  service: string,
  opts: Record<string, unknown>,
  add: boolean,
): Promise<void> {
  const t = serviceTarget(ctx, service);
  await getService(ctx, t);
  await changeBinding(ctx, servicePolicy(ctx, t.name), opts, add, `service [${service}]`);
}

const policyFormat = { defaultFormat: 'yaml' };

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
  defineBindingCommands(group, {
    arg: '<SERVICE>',
    add: {
      summary: 'Add a member to a role in the IAM policy of a service',
      examples: [
        'tarmac run services add-iam-policy-binding hello --member=allUsers --role=roles/run.invoker',
        'tarmac run services add-iam-policy-binding hello --member=serviceAccount:sched@PROJECT_ID.iam.gserviceaccount.com --role=roles/run.invoker',
      ],
      memberHelp: 'user:EMAIL, serviceAccount:EMAIL, allUsers, ...',
      roleHelp: 'role to grant, e.g. roles/run.invoker',
    },
    remove: {
      summary: 'Remove a member from a role in the IAM policy of a service',
      examples: [
        'tarmac run services remove-iam-policy-binding hello --member=allUsers --role=roles/run.invoker',
      ],
    },
    run: binding,
  });
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
