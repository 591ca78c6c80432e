import { TarmacError, type StatusCode } from '../../shared/index.ts';

/** A mistake in how the command was called (unknown flag, missing argument): exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** An error the CLI itself raises (as opposed to one the API answered with): printed without a status prefix. */
export class CliError extends TarmacError {}

/** Something the user can fix (bad value, missing file, missing setting): exit code 1. */
export function userError(
  message: string,
  reason = 'CLI_USER_ERROR',
  code: StatusCode = 'INVALID_ARGUMENT',
): CliError {
  return new CliError(code, message, { reason });
}

/** `Invalid value for [--memory]: ...`, as gcloud words bad flag values. */
export function invalidFlag(flag: string, message: string): CliError {
  return new CliError('INVALID_ARGUMENT', `Invalid value for [${flag}]: ${message}`, { reason: 'BAD_FLAG' });
}

/** A hint for API errors that have a standard fix. */
export function hintFor(e: TarmacError): string {
  switch (e.code) {
    case 'UNAUTHENTICATED':
      return ' Check the credentials the CLI uses (TARMAC_HOME/credentials.json, `tarmac auth list`).';
    case 'PERMISSION_DENIED':
      return e.message.includes('Ask') ? '' : ' Ask a project owner to grant you a role that includes it.';
    default:
      return '';
  }
}
