import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

type YamlModule = typeof Yaml;
let cached: YamlModule | undefined;

/** The yaml library, loaded on first use: most commands never print or read YAML (saves startup time). */
export function yaml(): YamlModule {
  return (cached ??= createRequire(import.meta.url)('yaml') as YamlModule);
}
