/** The framework command groups build on: see ../README.md. */
export { defineCommand, defineGroup, withHandler, collect, type CommandSpec } from './command.ts';
export { Context, type CliIo, type GlobalFlags, type Installation } from './context.ts';
export { UsageError, CliError, userError, invalidFlag } from './errors.ts';
export { PROPERTIES, findProperty, type PropertyDef } from './properties.ts';
export { render, renderTable, cellText, type PrintOptions } from './format/index.ts';
export { Progress } from './progress.ts';
export { parseKeyValues, parseList, intFlagValue } from './args.ts';
