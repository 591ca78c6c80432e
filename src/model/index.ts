export * from './auth.ts';
export * from './serving.ts';
export * from './scheduler.ts';
export * from './build.ts';
export * from './run-types.ts';
export * from './quantity.ts';
export { Violations } from './violations.ts';
export {
  parseServiceSpec,
  parseTraffic,
  serviceIdProblem,
  DEFAULT_TIMEOUT,
  DEFAULT_MAX_INSTANCES,
} from './run-service.ts';
export { RESERVED_ENV, DEFAULT_PORT, DEFAULT_CPU, DEFAULT_MEMORY } from './run-container.ts';
export { SEVERITIES, type Severity } from './logging.ts';
