export { Scheduler, toApi, type SchedulerOptions, type ActAsCheck } from './service.ts';
export { parseCron, dayMatches, type CronSpec } from './cron.ts';
export { nextRun, validateSchedule } from './next.ts';
export { backoffDelay, nextAttemptAt, DEFAULT_RETRY, type RetryPolicy } from './backoff.ts';
export { parseJobName, parseDuration, formatDuration } from './job.ts';
export { type InternalRoute } from './invoker.ts';
export { protoTime, formatTime } from './time.ts';
