import { Command, CommanderError } from 'commander';
import { isTarmacError } from '../shared/index.ts';
import { addGlobalOptions, CommandFailure, commandPath, globalOptions, setIo } from './core/command.ts';
import { CliError, UsageError, hintFor } from './core/errors.ts';
import type { CliIo } from './core/context.ts';
import { GROUPS, type GroupEntry } from './groups.ts';

const VERSION = '0.1.0';

/** The real process's streams and environment. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
    cwd: process.cwd(),
  };
}

/** Which groups to load: the one the command line names, or all of them (help, completion, typos). */
function groupsFor(argv: string[]): GroupEntry[] {
  const first = argv.find((a) => !a.startsWith('-'));
  const named = GROUPS.find((g) => g.name === first);
  return named && named.name !== 'completion' ? [named] : GROUPS;
}

/** Builds the command tree for this command line. */
export async function buildProgram(argv: string[], io: CliIo): Promise<Command> {
  const program = new Command('tarmac')
    .description('tarmac: a self-hosted, Cloud Run-compatible platform, driven like gcloud.')
    .version(VERSION, '--version', 'print the version')
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: () => undefined,
    });
  for (const o of globalOptions()) program.addOption(o);
  setIo(program, io);
  const loaded = await Promise.all(groupsFor(argv).map(async (g) => ({ g, mod: await g.load() })));
  for (const { g, mod } of loaded) {
    const group = program.command(g.name).summary(g.summary).description(g.summary);
    mod.register(group);
  }
  addGlobalOptions(program);
  // Each command reports its own usage errors, so messages name it (tarmac.run.deploy).
  const override = (cmd: Command): void => {
    cmd.exitOverride((err) => {
      throw Object.assign(err, { commandPath: commandPath(cmd) });
    });
    cmd.commands.forEach(override);
  };
  override(program);
  return program;
}

function usageLine(path: string, err: CommanderError): string {
  let msg = err.message.replace(/^error: /, '').trim();
  const m = /^unknown option '(.+)'/.exec(msg);
  if (m)
    msg = `unrecognized arguments: ${m[1]}${
      msg.includes('Did you mean')
        ? ` (${msg
            .split('\n')[1]
            ?.trim()
            .replace(/^\(|\)$/g, '')})`
        : ''
    }`;
  msg = msg.replace(/\n+/g, ' ');
  const help = path.split('.').join(' ');
  return `ERROR: (${path}) ${msg}\nRun \`${help} --help\` for usage.\n`;
}

/** Runs one `tarmac` command line; resolves with the exit code (0 ok, 1 user error, 2 usage). */
export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  const program = await buildProgram(argv, io);
  if (argv.length === 0) {
    io.stderr.write(`ERROR: (tarmac) Command name argument expected.\n\n${program.helpInformation()}`);
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    return report(e, io, argv);
  }
}

function report(e: unknown, io: CliIo, argv: string[]): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
    const path = (e as CommanderError & { commandPath?: string }).commandPath ?? 'tarmac';
    if (e.code === 'commander.help') {
      io.stderr.write(`ERROR: (${path}) Command name argument expected.\n`);
      return 2;
    }
    io.stderr.write(usageLine(path, e));
    return 2;
  }
  const failure =
    e instanceof CommandFailure ? e : new CommandFailure('tarmac', e, argv.includes('--verbosity=debug'));
  const err = failure.error;
  if (err instanceof UsageError) {
    io.stderr.write(`ERROR: (${failure.path}) ${err.message}\n`);
    return 2;
  }
  if (isTarmacError(err)) {
    const text = err instanceof CliError ? err.message : `${err.code}: ${err.message}${hintFor(err)}`;
    io.stderr.write(`ERROR: (${failure.path}) ${text}\n`);
    if (failure.debug && err.stack) io.stderr.write(`${err.stack}\n`);
    return 1;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.stderr.write(
    `ERROR: (${failure.path}) unexpected error: ${message}. ${failure.debug ? '' : 'Run again with --verbosity=debug for details.'}\n`,
  );
  if (failure.debug && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
  return 1;
}
