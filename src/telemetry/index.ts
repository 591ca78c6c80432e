export { Metrics, codeClass } from './metrics.ts';
export {
  parseLine,
  parseSeverity,
  severityNumber,
  revisionResource,
  LOG_NAMES,
  SEVERITIES,
  type LogEntry,
  type HttpRequestLog,
  type Severity,
  type RevisionResource,
} from './entry.ts';
export { parseFilter, matches, type FilterNode } from './filter.ts';
export { Telemetry } from './telemetry.ts';
export { LogStore, type LogStoreOptions, type ListOptions } from './log-store.ts';
export { ServingHooks, traceId, type RequestFacts, type PrintedLine } from './hooks.ts';
export { schedulerAttemptHook, buildFinishedHook, instrumentRegistry } from './platform-hooks.ts';
