import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { defineCommand, defineGroup, userError, type Context } from './core/index.ts';

const saPath = (project: string, email: string): string =>
  `/v1/projects/${encodeURIComponent(project)}/serviceAccounts/${encodeURIComponent(email)}`;

/** gcloud takes either an email or a bare account id (NAME) for the current project. */
function emailOf(ctx: Context, ref: string): string {
  return ref.includes('@') ? ref : `${ref}@${ctx.project()}.iam.gserviceaccount.com`;
}

function requireAccount(opts: Record<string, unknown>): string {
  if (typeof opts.iamAccount !== 'string')
    throw userError('Missing required argument [--iam-account].', 'IAM_ACCOUNT_REQUIRED');
  return opts.iamAccount;
}

function accountCommands(sa: Command): void {
  defineCommand(sa, {
    name: 'create <NAME>',
    summary: 'Create a service account',
    examples: ['tarmac iam service-accounts create invoker-bot --display-name="Invoker"'],
    run: async (ctx, [name], opts) => {
      const created = await ctx.client('iam').iam.createServiceAccount(ctx.project(), name!, {
        displayName: opts.displayName as string | undefined,
        description: opts.description as string | undefined,
      });
      ctx.status(`Created service account [${name}].`);
      if (ctx.flags.format) ctx.print(created);
    },
  })
    .option('--display-name <NAME>', 'a human-readable name')
    .option('--description <TEXT>', 'a description');

  defineCommand(sa, {
    name: 'list',
    summary: 'List service accounts of the project',
    run: async (ctx) => {
      const accounts = await ctx.client('iam').iam.listServiceAccounts(ctx.project());
      ctx.print(accounts, {
        list: true,
        defaultFormat: 'table(displayName:label=DISPLAY_NAME, email:label=EMAIL, disabled:label=DISABLED)',
      });
    },
  });

  defineCommand(sa, {
    name: 'describe <ACCOUNT>',
    summary: 'Show a service account',
    run: async (ctx, [ref]) => {
      ctx.print(await ctx.client('iam').iam.getServiceAccount(ctx.project(), emailOf(ctx, ref!)), {
        defaultFormat: 'yaml',
      });
    },
  });

  defineCommand(sa, {
    name: 'update <ACCOUNT>',
    summary: "Change a service account's display name or description",
    run: async (ctx, [ref], opts) => {
      const serviceAccount: Record<string, string> = {};
      if (typeof opts.displayName === 'string') serviceAccount.displayName = opts.displayName;
      if (typeof opts.description === 'string') serviceAccount.description = opts.description;
      if (Object.keys(serviceAccount).length === 0)
        throw userError('Nothing to update: pass --display-name or --description.');
      const updated = await ctx
        .client('iam')
        .http.request('PATCH', saPath(ctx.project(), emailOf(ctx, ref!)), {
          body: { serviceAccount, updateMask: Object.keys(serviceAccount).join(',') },
        });
      ctx.status(`Updated service account [${emailOf(ctx, ref!)}].`);
      if (ctx.flags.format) ctx.print(updated);
    },
  })
    .option('--display-name <NAME>', 'a human-readable name')
    .option('--description <TEXT>', 'a description');

  for (const verb of ['disable', 'enable'] as const) {
    defineCommand(sa, {
      name: `${verb} <ACCOUNT>`,
      summary: `${verb === 'disable' ? 'Disable' : 'Enable'} a service account`,
      run: async (ctx, [ref]) => {
        await ctx
          .client('iam')
          .http.request('POST', `${saPath(ctx.project(), emailOf(ctx, ref!))}:${verb}`, { body: {} });
        ctx.status(`${verb === 'disable' ? 'Disabled' : 'Enabled'} service account [${emailOf(ctx, ref!)}].`);
      },
    });
  }

  defineCommand(sa, {
    name: 'delete <ACCOUNT>',
    summary: 'Delete a service account',
    run: async (ctx, [ref]) => {
      const email = emailOf(ctx, ref!);
      await ctx.confirmOrCancel(`You are about to delete service account [${email}].`);
      await ctx.client('iam').iam.deleteServiceAccount(ctx.project(), email);
      ctx.status(`deleted service account [${email}]`);
    },
  });
}

function keyCommands(sa: Command): void {
  const keys = defineGroup(sa, 'keys', 'Manage service account keys');
  defineCommand(keys, {
    name: 'create <OUTPUT_FILE>',
    summary: 'Create a key and write its JSON key file',
    examples: [
      'tarmac iam service-accounts keys create key.json --iam-account=bot@my-project.iam.gserviceaccount.com',
    ],
    run: async (ctx, [file], opts) => {
      const email = emailOf(ctx, requireAccount(opts));
      const key = await ctx.client('iam').iam.createKey(ctx.project(), email);
      if (!key.privateKeyData) throw userError('The server returned no private key data.');
      writeFileSync(file!, Buffer.from(key.privateKeyData, 'base64'), { mode: 0o600 });
      ctx.status(
        `created key [${(key.name ?? '').split('/').pop()}] of type [json] as [${file}] for [${email}]`,
      );
    },
  }).option('--iam-account <EMAIL>', 'the service account');

  defineCommand(keys, {
    name: 'list',
    summary: "List a service account's keys",
    run: async (ctx, _args, opts) => {
      const list = await ctx.client('iam').iam.listKeys(ctx.project(), emailOf(ctx, requireAccount(opts)));
      ctx.print(list, {
        list: true,
        defaultFormat:
          'table(name.basename():label=KEY_ID, validAfterTime:label=CREATED_AT, validBeforeTime:label=EXPIRES_AT, disabled:label=DISABLED)',
      });
    },
  }).option('--iam-account <EMAIL>', 'the service account');

  defineCommand(keys, {
    name: 'delete <KEY_ID>',
    summary: 'Delete a key',
    run: async (ctx, [id], opts) => {
      const email = emailOf(ctx, requireAccount(opts));
      await ctx.confirmOrCancel(`You are about to delete key [${id}] for service account [${email}].`);
      await ctx.client('iam').iam.deleteKey(`projects/${ctx.project()}/serviceAccounts/${email}/keys/${id}`);
      ctx.status(`deleted key [${id}] for service account [${email}]`);
    },
  }).option('--iam-account <EMAIL>', 'the service account');
}

/** `tarmac iam service-accounts ...` (gcloud iam service-accounts). */
export function register(group: Command): void {
  group.description('Manage service accounts and their keys.');
  const sa = defineGroup(group, 'service-accounts', 'Create and manage service accounts');
  accountCommands(sa);
  keyCommands(sa);
}
