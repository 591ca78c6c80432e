#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader, from wherever the command is started.
// CLI commands (everything but the local ones below, which src/main.ts runs) use a cached bundle of
// src/cli for a fast start; TARMAC_CLI_TSX=1 forces the tsx path.
const LOCAL = new Set(['serve', 'doctor', 'images']);
const argv = process.argv.slice(2);
if (!LOCAL.has(argv[0] ?? '') && !process.env.TARMAC_CLI_TSX) {
  const cli = await import('./cli-bundle.mjs').then((m) => m.loadCliBundle()).catch(() => undefined);
  if (cli) process.exit(await cli.runCli(argv));
}
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../src/main.ts');
const code = await main(argv);
if (code >= 0) process.exit(code);
