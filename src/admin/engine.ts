import { loadConfig, type ParsedConfig } from '../config/index.ts';
import { createLogger, type Logger } from '../shared/index.ts';
import { connectEngine, type EngineConnection } from '../runtime/index.ts';

/** Splits argv into flags (--k=v, --k v, bare --k = "true") and positional arguments. */
export function splitArgs(
  argv: string[],
  booleans: string[] = [],
): { flags: Record<string, string>; args: string[] } {
  const flags: Record<string, string> = {};
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      args.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq === -1 ? undefined : eq);
    if (eq !== -1) flags[name] = a.slice(eq + 1);
    else if (booleans.includes(name)) flags[name] = 'true';
    else flags[name] = argv[++i] ?? '';
  }
  return { flags, args };
}

/** Loads config from flags/env/file and connects to (or provisions) the engine, for local commands. */
export async function withEngine<T>(
  flags: Record<string, string>,
  fn: (conn: EngineConnection, config: ParsedConfig, logger: Logger) => Promise<T>,
): Promise<T> {
  const config = loadConfig({ flags });
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const conn = await connectEngine(config, logger);
  try {
    return await fn(conn, config, logger);
  } finally {
    await conn.dispose();
  }
}
