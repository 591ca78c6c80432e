/** Cloud Logging's severities, lowest first (a severity's number is its index times 100). */
export const SEVERITIES = [
  'DEFAULT',
  'DEBUG',
  'INFO',
  'NOTICE',
  'WARNING',
  'ERROR',
  'CRITICAL',
  'ALERT',
  'EMERGENCY',
] as const;
export type Severity = (typeof SEVERITIES)[number];
