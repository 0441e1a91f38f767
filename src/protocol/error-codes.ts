/**
 * Stable error codes. They cross process and HTTP boundaries, so they are strings, never classes.
 * Each code is documented in docs/errors.md (a test checks that). HTTP statuses are mapped in
 * src/protocol/http-status.ts (for every HTTP API, including the link layer's `POST /enroll`) and CLI
 * exit codes in src/cli/exit-codes.ts, nowhere else. A RATE_LIMITED error carries
 * `details.retryAfterSec`, sent as `Retry-After`.
 */
export const ErrorCode = {
  CONFIG_INVALID: 'CONFIG_INVALID',
  CONFIG_UNREADABLE: 'CONFIG_UNREADABLE',
  ALERT_INVALID: 'ALERT_INVALID',
  AR_MESSAGE_INVALID: 'AR_MESSAGE_INVALID',
  AR_COMMAND_UNKNOWN: 'AR_COMMAND_UNKNOWN',
  AR_SCRIPT_FAILED: 'AR_SCRIPT_FAILED',
  AR_SCRIPT_TIMEOUT: 'AR_SCRIPT_TIMEOUT',
  RESPONSE_NOT_FOUND: 'RESPONSE_NOT_FOUND',
  AGENT_NOT_FOUND: 'AGENT_NOT_FOUND',
  AGENT_DISCONNECTED: 'AGENT_DISCONNECTED',
  AUTH_REQUIRED: 'AUTH_REQUIRED',
  AUTH_FORBIDDEN: 'AUTH_FORBIDDEN',
  RATE_LIMITED: 'RATE_LIMITED',
  REQUEST_INVALID: 'REQUEST_INVALID',
  DAEMON_UNREACHABLE: 'DAEMON_UNREACHABLE',
  HOME_IN_USE: 'HOME_IN_USE',
  HOME_UNSAFE: 'HOME_UNSAFE',
  STORE_CORRUPT: 'STORE_CORRUPT',
  STORE_FULL: 'STORE_FULL',
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The one error class Riposte throws across modules. */
export class RiposteError extends Error {
  override readonly name = 'RiposteError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Works across module copies and serialised errors, unlike instanceof. */
export function isRiposteError(err: unknown): err is RiposteError {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { name?: unknown }).name === 'RiposteError' &&
    typeof (err as { code?: unknown }).code === 'string'
  );
}
