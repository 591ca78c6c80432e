export {
  BuildService,
  type BuildServiceOptions,
  type CreateBuildInput,
  type ListOptions,
} from './service.ts';
export type { ImageTargets } from './runner.ts';
export type { SourceObject } from './sources.ts';
export { tagBuildStep } from './plan.ts';
export { createBuildService, builtinTargets, type BuildWiring } from './wiring.ts';
