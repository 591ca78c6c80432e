import type { Command } from 'commander';
import {
  defineCommand,
  defineGroup,
  PROPERTIES,
  findProperty,
  userError,
  type Context,
} from '../core/index.ts';
import type { ConfigStore } from '../core/properties.ts';

function printSections(ctx: Context, sections: Record<string, Record<string, string>>): void {
  if (ctx.flags.format) {
    ctx.print(sections, { defaultFormat: 'yaml' });
    return;
  }
  const text = Object.entries(sections)
    .map(
      ([s, kv]) =>
        `[${s}]\n${Object.entries(kv)
          .map(([k, v]) => `${k} = ${v}`)
          .join('\n')}\n`,
    )
    .join('');
  ctx.io.stdout.write(text);
}

function registerConfigurations(group: Command): void {
  const conf = defineGroup(group, 'configurations', 'Manage named configurations (sets of properties)');
  defineCommand(conf, {
    name: 'create <NAME>',
    summary: 'Create a named configuration and activate it',
    examples: [
      'tarmac config configurations create staging',
      'tarmac config configurations create ci --no-activate',
    ],
    run: async (ctx, [name], opts) => {
      ctx.props.store.create(name!);
      ctx.status(`Created [${name}].`);
      if (opts.activate !== false) {
        ctx.props.store.activate(name!);
        ctx.status(`Activated [${name}].`);
      }
    },
  }).option('--no-activate', 'do not activate the new configuration');
  defineCommand(conf, {
    name: 'activate <NAME>',
    summary: 'Activate a named configuration',
    examples: ['tarmac config configurations activate staging'],
    run: async (ctx, [name]) => {
      ctx.props.store.activate(name!);
      ctx.status(`Activated [${name}].`);
    },
  });
  defineCommand(conf, {
    name: 'list',
    summary: 'List the named configurations',
    examples: ['tarmac config configurations list', 'tarmac config configurations list --format=json'],
    run: async (ctx) => {
      const store: ConfigStore = ctx.props.store;
      const active = store.active(ctx.flags.configuration);
      const rows = store.list().map((name) => {
        const ini = store.read(name);
        return {
          name,
          is_active: name === active,
          properties: ini,
          account: ini.core?.account ?? '',
          project: ini.core?.project ?? '',
          run_region: ini.run?.region ?? '',
        };
      });
      ctx.print(rows, { list: true, defaultFormat: 'table(name, is_active, account, project, run_region)' });
    },
  });
  defineCommand(conf, {
    name: 'describe <NAME>',
    summary: 'Show the properties of a named configuration',
    examples: ['tarmac config configurations describe default'],
    run: async (ctx, [name]) => {
      const store = ctx.props.store;
      if (!store.exists(name!))
        throw userError(`Cannot describe configuration [${name}], it does not exist.`);
      ctx.print({
        name,
        is_active: name === store.active(ctx.flags.configuration),
        properties: store.read(name!),
      });
    },
  });
  defineCommand(conf, {
    name: 'delete <NAME...>',
    summary: 'Delete named configurations',
    examples: ['tarmac config configurations delete staging --quiet'],
    run: async (ctx, names) => {
      await ctx.confirmOrCancel(
        `The following configurations will be deleted:\n${names.map((n) => ` - [${n}]`).join('\n')}`,
      );
      for (const n of names) {
        ctx.props.store.delete(n);
        ctx.status(`Deleted [${n}].`);
      }
    },
  });
}

/** `tarmac config ...`: properties as in gcloud, stored under TARMAC_CONFIG_DIR. */
export function register(group: Command): void {
  defineCommand(group, {
    name: 'set <PROPERTY> <VALUE>',
    summary: 'Set a property in the active configuration',
    description:
      'Set a property (SECTION/NAME; core properties may omit the section) in the active configuration.\n' +
      `Properties: ${PROPERTIES.map((p) => `${p.section}/${p.name}`).join(', ')}`,
    examples: ['tarmac config set project my-project', 'tarmac config set run/region us-central1'],
    run: async (ctx, [key, value]) => {
      const id = ctx.props.set(key!, value!);
      ctx.status(`Updated property [${id}].`);
    },
  });
  defineCommand(group, {
    name: 'get <PROPERTY>',
    summary: 'Print the value of a property (as commands will use it)',
    examples: ['tarmac config get project', 'tarmac config get run/region'],
    run: async (ctx, [key]) => {
      const p = findProperty(key!);
      const found = ctx.props.lookup(`${p.section}/${p.name}`);
      if (!found) {
        ctx.io.stderr.write('(unset)\n');
        return;
      }
      ctx.print(found.value, { defaultFormat: 'value' });
      if (found.source === 'env' || found.source === 'installation') {
        ctx.status(`(from ${found.source === 'env' ? 'the environment' : ctx.installation().file})`);
      }
    },
  });
  defineCommand(group, {
    name: 'unset <PROPERTY>',
    summary: 'Unset a property in the active configuration',
    examples: ['tarmac config unset run/region'],
    run: async (ctx, [key]) => {
      ctx.status(`Unset property [${ctx.props.unset(key!)}].`);
    },
  });
  defineCommand(group, {
    name: 'list',
    summary: 'List the properties set in the active configuration',
    examples: ['tarmac config list', 'tarmac config list --all', 'tarmac config list --format=json'],
    run: async (ctx, _args, opts) => {
      printSections(ctx, ctx.props.listSet(Boolean(opts.all)));
      ctx.status(`\nYour active configuration is: [${ctx.props.configuration}]`);
    },
  }).option('--all', 'list every property, including unset ones and installation defaults');
  registerConfigurations(group);
}
