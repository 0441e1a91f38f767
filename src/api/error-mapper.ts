/**
 * The only mapping from error codes to HTTP statuses for Riposte's HTTP APIs. Error bodies are
 * `{"error":{"code":"...","message":"..."}}`; anything that is not a RiposteError is an internal
 * error whose details stay in the daemon log, never in the response.
 */
import { ErrorCode, isRiposteError } from '../protocol/error-codes.js';

export const httpStatusByCode: Readonly<Record<ErrorCode, number>> = {
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
  [ErrorCode.REQUEST_INVALID]: 400,
  [ErrorCode.DAEMON_UNREACHABLE]: 503,
  [ErrorCode.HOME_UNSAFE]: 500,
  [ErrorCode.STORE_CORRUPT]: 500,
  [ErrorCode.STORE_FULL]: 507,
  [ErrorCode.INTERNAL]: 500,
};

export interface HttpError {
  readonly status: number;
  readonly body: { readonly error: { readonly code: string; readonly message: string } };
}

/** Maps any thrown value to a status and body. */
export function toHttpError(err: unknown): HttpError {
  if (isRiposteError(err)) {
    return { status: httpStatusByCode[err.code], body: { error: { code: err.code, message: err.message } } };
  }
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const message = err instanceof Error ? err.message : 'Bad request';
    return { status, body: { error: { code: ErrorCode.REQUEST_INVALID, message } } };
  }
  return {
    status: 500,
    body: { error: { code: ErrorCode.INTERNAL, message: 'Internal error; see the daemon log' } },
  };
}
