import { pino, destination as pinoDestination, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The process logger: JSON lines on stderr; tokens and keys are redacted wherever they appear. */
export function createLogger(level: LevelWithSilent, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: {
        paths: [
          'token',
          'accessToken',
          'idToken',
          'privateKey',
          'authorization',
          'headers.authorization',
          'req.headers.authorization',
          '*.token',
          '*.privateKey',
          '*.authorization',
        ],
        censor: '[redacted]',
      },
    },
    destination ?? pinoDestination({ fd: 2, sync: false }),
  );
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
