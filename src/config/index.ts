export { configSchema, type ParsedConfig, type ConfigInput } from './schema.ts';
export { loadConfig, CONFIG_FLAGS, type LoadOptions } from './load.ts';
export { statePaths, type StatePaths } from './paths.ts';
