import type { Command } from 'commander';
import { Option } from 'commander';
import { Context, type CliIo, type GlobalFlags, type Listing } from './context.ts';
import { UsageError } from './errors.ts';

/** A leaf command: its commander syntax, help texts and handler. */
export interface CommandSpec {
  /** Commander syntax: `describe <SERVICE>`, `deploy [SERVICE]`, `set <KEY> <VALUE>`. */
  name: string;
  /** One line, shown in the parent's command list. */
  summary: string;
  /** Longer help shown by `--help`. */
  description?: string;
  /** Shown under EXAMPLES in `--help`. */
  examples?: string[];
  aliases?: string[];
  /** Handler: positional arguments (variadic ones flattened) and this command's own options. */
  run: (ctx: Context, args: string[], opts: Record<string, unknown>) => Promise<void>;
}

const ioByRoot = new WeakMap<Command, CliIo>();

export function setIo(root: Command, io: CliIo): void {
  ioByRoot.set(root, io);
}

function root(cmd: Command): Command {
  let c = cmd;
  while (c.parent) c = c.parent;
  return c;
}

/** `tarmac.run.services.list`: the dotted path gcloud names a command by in its messages. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join('.');
}

/** Thrown out of a handler so the top level knows which command failed. */
export class CommandFailure extends Error {
  constructor(
    readonly path: string,
    readonly error: unknown,
    readonly debug: boolean,
  ) {
    super(error instanceof Error ? error.message : String(error));
  }
}

function examplesText(examples: string[]): string {
  return `\nEXAMPLES:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n`;
}

/** A command group (`run`, `run services`): a node whose children are groups or commands. */
export function defineGroup(parent: Command, name: string, summary: string, description?: string): Command {
  return parent
    .command(name)
    .summary(summary)
    .description(description ?? summary);
}

/** Adds a leaf command to a group and wires its handler to a Context. Chain `.option()` calls on the result. */
export function defineCommand(parent: Command, spec: CommandSpec): Command {
  const cmd = parent
    .command(spec.name)
    .summary(spec.summary)
    .description(spec.description ?? spec.summary);
  for (const a of spec.aliases ?? []) cmd.alias(a);
  if (spec.name.split(' ')[0] === 'list') addListOptions(cmd);
  if (spec.examples?.length) cmd.addHelpText('after', examplesText(spec.examples));
  return withHandler(cmd, spec.run);
}

/** Makes an existing command (a group with no subcommands, like `tarmac console`) run a handler. */
export function withHandler(cmd: Command, run: CommandSpec['run']): Command {
  cmd.action(async (...params: unknown[]) => {
    const self = params[params.length - 1] as Command;
    const args = (params.slice(0, -2) as (string | string[] | undefined)[]).flatMap((a) =>
      a === undefined ? [] : Array.isArray(a) ? a : [a],
    );
    const globals = self.optsWithGlobals<GlobalFlags>();
    const io = ioByRoot.get(root(self));
    if (!io) throw new Error('CLI io not set on the root command');
    const path = commandPath(self);
    let ctx: Context | undefined;
    try {
      ctx = new Context(io, path, globals);
      ctx.listing = listingOf(self.opts());
      await run(ctx, args, self.opts());
    } catch (e) {
      let debug = globals.verbosity === 'debug';
      try {
        debug ||= ctx?.debug ?? false;
      } catch {
        // a bad --verbosity value is reported by the error itself
      }
      throw new CommandFailure(path, e, debug);
    }
  });
  return cmd;
}

/** Flags every command takes. Added to the root and to every leaf so they work before or after the command. */
export function globalOptions(): Option[] {
  return [
    new Option('--project <PROJECT_ID>', 'project to use for this invocation (property core/project)'),
    new Option('--region <REGION>', 'region of the resource (property run/region)'),
    new Option(
      '--format <FORMAT>',
      'output format: json, yaml, table(KEYS), value(KEYS), csv(KEYS), flattened, export, none, default',
    ),
    new Option('-q, --quiet', 'disable all interactive prompts; take the default answers'),
    new Option('--verbosity <LEVEL>', 'debug, info, warning (default), error, critical, none'),
    new Option('--configuration <NAME>', 'named configuration to use for this invocation'),
    new Option(
      '--access-token-file <FILE>',
      'file with the bearer token to use instead of the stored credentials',
    ),
  ];
}

/** Gives every leaf command the global flags it does not define itself. */
export function addGlobalOptions(cmd: Command): void {
  if (cmd.commands.length === 0) {
    for (const o of globalOptions()) {
      if (!cmd.options.some((x) => x.long === o.long)) cmd.addOption(o);
    }
    return;
  }
  for (const c of cmd.commands) addGlobalOptions(c);
}

/** Collects repeated values of a flag (`--member a --member b`) and comma lists. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** gcloud's list flags, given to every `list` command; applied by ctx.print in the order sort, filter, limit. */
function addListOptions(cmd: Command): void {
  cmd
    .option('--filter <EXPRESSION>', 'list only the items the expression selects (see gcloud topic filters)')
    .option('--sort-by <FIELD,...>', 'sort by these fields; ~FIELD sorts descending', collect)
    .option('--limit <N>', 'list at most N items')
    .option('--page-size <N>', 'accepted for gcloud compatibility; results are not paged');
}

function listingOf(o: Record<string, unknown>): Listing | undefined {
  if (o.filter === undefined && o.sortBy === undefined && o.limit === undefined) return undefined;
  let limit: number | undefined;
  if (o.limit !== undefined) {
    limit = Number(o.limit);
    if (!/^\d+$/.test(String(o.limit)) || limit < 1)
      throw new UsageError(
        `argument --limit: Value must be greater than or equal to 1; received: ${String(o.limit)}`,
      );
  }
  return { filter: o.filter as string | undefined, sortBy: o.sortBy as string[] | undefined, limit };
}
