/**
 * The only mapping from error codes to CLI exit codes.
 * 0 success; 1 invalid input or config (the user must fix something); 2 usage; 3 the daemon could
 * not be reached; 4 not found; 5 refused (auth, or too many failed enrollments); 6 the home is in use by another running daemon;
 * 69 the manager's PostgreSQL store could not be reached at start (EX_UNAVAILABLE); 70 internal error (EX_SOFTWARE); 74 the daemon's database is damaged or its disk is full (EX_IOERR).
 */
import { ErrorCode, isRiposteError } from '../protocol/error-codes.js';

export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;

const byCode: Record<ErrorCode, number> = {
  [ErrorCode.CONFIG_INVALID]: 1,
  [ErrorCode.CONFIG_UNREADABLE]: 1,
  [ErrorCode.ALERT_INVALID]: 1,
  [ErrorCode.AR_MESSAGE_INVALID]: 1,
  [ErrorCode.AR_COMMAND_UNKNOWN]: 1,
  [ErrorCode.REQUEST_INVALID]: 1,
  [ErrorCode.AR_SCRIPT_FAILED]: 1,
  [ErrorCode.AR_SCRIPT_TIMEOUT]: 1,
  [ErrorCode.DAEMON_UNREACHABLE]: 3,
  [ErrorCode.HOME_IN_USE]: 6,
  [ErrorCode.HOME_UNSAFE]: 1,
  [ErrorCode.STORE_CORRUPT]: 74,
  [ErrorCode.STORE_FULL]: 74,
  [ErrorCode.STORE_UNAVAILABLE]: 69,
  [ErrorCode.RESPONSE_NOT_FOUND]: 4,
  [ErrorCode.AGENT_NOT_FOUND]: 4,
  [ErrorCode.AGENT_DISCONNECTED]: 3,
  [ErrorCode.AUTH_REQUIRED]: 5,
  [ErrorCode.AUTH_FORBIDDEN]: 5,
  [ErrorCode.RATE_LIMITED]: 5,
  [ErrorCode.INTERNAL]: 70,
};

/**
 * Exit code for any thrown value. A REQUEST_INVALID flagged `details.usage` (the command line itself
 * is incomplete, e.g. `explain` with nothing to read) is a usage error, like commander's: 2.
 */
export function exitCodeFor(err: unknown): number {
  if (isRiposteError(err) && err.details?.['usage'] === true) {
    return EXIT_USAGE;
  }
  return isRiposteError(err) ? byCode[err.code] : 70;
}
