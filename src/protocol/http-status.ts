/**
 * The one table from error code to HTTP status, for every HTTP API: the REST APIs map errors through
 * manager-api/error-mapper.ts, the link layer's `POST /enroll` (link/enroll-route.ts) reads it here.
 */
import { ErrorCode, isRiposteError } from './error-codes.js';

/**
 * HTTP status per error code, for every HTTP API, so a code has one status everywhere. A code added
 * to ErrorCode breaks the build until it is mapped here.
 */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  [ErrorCode.CONFIG_INVALID]: 400,
  [ErrorCode.CONFIG_UNREADABLE]: 500,
  [ErrorCode.ALERT_INVALID]: 400,
  [ErrorCode.AR_MESSAGE_INVALID]: 400,
  [ErrorCode.AR_COMMAND_UNKNOWN]: 404,
  [ErrorCode.AR_SCRIPT_FAILED]: 502,
  [ErrorCode.AR_SCRIPT_TIMEOUT]: 504,
  [ErrorCode.RESPONSE_NOT_FOUND]: 404,
  [ErrorCode.AGENT_NOT_FOUND]: 404,
  [ErrorCode.AGENT_DISCONNECTED]: 409,
  [ErrorCode.AUTH_REQUIRED]: 401,
  [ErrorCode.AUTH_FORBIDDEN]: 403,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.REQUEST_INVALID]: 400,
  [ErrorCode.DAEMON_UNREACHABLE]: 503,
  [ErrorCode.HOME_IN_USE]: 409,
  [ErrorCode.HOME_UNSAFE]: 500,
  [ErrorCode.STORE_CORRUPT]: 500,
  [ErrorCode.STORE_FULL]: 507,
  [ErrorCode.STORE_UNAVAILABLE]: 503,
  [ErrorCode.INTERNAL]: 500,
};

/** Seconds for `Retry-After` when the error says when to retry (`details.retryAfterSec`). */
export function retryAfterSec(err: unknown): number | undefined {
  const v = isRiposteError(err) ? err.details?.['retryAfterSec'] : undefined;
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.ceil(v) : undefined;
}
