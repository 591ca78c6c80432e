import { loadConfig, CONFIG_FLAGS } from './config/index.ts';
import { isTarmacError } from './shared/index.ts';

/** Splits `--key=value` / `--key value` flags that config understands off argv. */
export function parseServeFlags(argv: string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  const known = new Set([...CONFIG_FLAGS, 'config']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument: ${a}`);
    const eq = a.indexOf('=');
    const name = a.slice(2, eq === -1 ? undefined : eq);
    if (!known.has(name))
      throw new UsageError(`unknown flag: --${name} (known: ${[...known].map((k) => `--${k}`).join(', ')})`);
    const value = eq === -1 ? argv[++i] : a.slice(eq + 1);
    if (value === undefined) throw new UsageError(`flag --${name} needs a value`);
    flags[name] = value;
  }
  return flags;
}

export class UsageError extends Error {}

/** `tarmac serve`: load config, start, print where things are, drain on SIGINT/SIGTERM. */
export async function serve(argv: string[]): Promise<void> {
  const config = loadConfig({ flags: parseServeFlags(argv) });
  // Signal handlers come first: a SIGTERM during startup (or right after the banner) must drain,
  // not kill the process with an engine or containers half set up.
  const run: { stopping?: string; dispose?: () => Promise<void> } = {};
  const drain = (): void => {
    process.stdout.write(`received ${run.stopping ?? 'signal'}, draining...\n`);
    run.dispose!().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`error while stopping: ${String(e)}\n`);
        process.exit(1);
      },
    );
  };
  const stop = (signal: string): void => {
    if (run.stopping) return;
    run.stopping = signal;
    if (run.dispose) drain();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // Imported here so CLI commands do not pay for loading the server.
  const { startPlatform } = await import('./platform.ts');
  const { describeFront } = await import('./iam/index.ts');
  const platform = await startPlatform(config);
  run.dispose = () => platform.dispose();
  if (run.stopping) return drain();
  const u = platform.urls;
  const port80 = platform.iam.metadataPort80;
  process.stdout.write(
    [
      `tarmac is running (state in ${platform.paths.home})`,
      `  ingress   ${u.ingress}   (service URLs: http://SERVICE-PROJECT_NUMBER.${config.defaultRegion}.${config.domain}:${platform.listeners.ingress.port})`,
      `  api       ${u.api}`,
      `  registry  ${u.registry}`,
      `  console   ${platform.consoleUrl()}   (signed in as the owner; \`tarmac console\` prints a new one)`,
      `  metadata  ${platform.iam.metadataAddress.port} for GCE_METADATA_HOST; metadata.google.internal:80 ${port80 ? describeFront(port80) : 'off'}`,
      '',
    ].join('\n'),
  );
}

/** Entry for bin/tarmac: local commands here, everything else goes to the CLI. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === 'serve') {
      await serve(rest);
      return -1; // keep running
    }
    if (cmd === 'doctor') {
      const { doctorCommand } = await import('./admin/index.ts');
      return await doctorCommand(rest);
    }
    if (cmd === 'images') {
      const { imagesCommand } = await import('./admin/index.ts');
      return await imagesCommand(rest);
    }
    const { runCli } = await import('./cli/index.ts');
    return await runCli(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`ERROR: ${e.message}\n`);
      return 2;
    }
    if (isTarmacError(e)) {
      process.stderr.write(`ERROR: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
