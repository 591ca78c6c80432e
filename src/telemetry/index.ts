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
export { ServingHooks, type PrintedLine } from './hooks.ts';
export {
  traceId,
  RequestEntry,
  RequestLogTarget,
  type RequestFacts,
  type DeferredEntry,
} from './request-entry.ts';
export { schedulerAttemptHook, buildFinishedHook, instrumentRegistry } from './platform-hooks.ts';
