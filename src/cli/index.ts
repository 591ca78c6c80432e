export { runCli, processIo, buildProgram } from './main.ts';
export type { CliIo } from './core/context.ts';
