/**
 * The one place where Riposte's HTTP APIs (the manager's REST API, served by `riposte manager` and
 * `riposte start`, and a bare agent's local API) turn any thrown value into an HTTP status and an
 * error body. Unknown errors and INTERNAL ones become 500 with a generic message: a stack trace or
 * an internal message never leaves the process (it is logged instead).
 *
 * Error body: `{"error": {"code": "AGENT_NOT_FOUND", "message": "..."}}`. The Wazuh-compatible
 * `PUT /active-response` keeps Wazuh's own result shape for per-agent failures (see wazuh-result.ts);
 * a request it cannot even start (bad body, no token) gets this shape too.
 */
import { ErrorCode, isRiposteError } from '../protocol/error-codes.js';
import { HTTP_STATUS, retryAfterSec } from '../protocol/http-status.js';
import { validationMessage, type SchemaError } from './validation-message.js';

export { HTTP_STATUS };

/** The JSON body of every error response. */
export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string };
}

/** A mapped error: the status to send and the body. */
export interface MappedError {
  readonly status: number;
  readonly body: ErrorBody;
  /** True when the error was not a RiposteError (or was INTERNAL): the caller should log it. */
  readonly unexpected: boolean;
  /** Seconds to send as `Retry-After` (RATE_LIMITED). */
  readonly retryAfterSec?: number;
}

/** Message sent for any unexpected error; the details go to the log only. */
export const GENERIC_INTERNAL_MESSAGE = 'Internal error; see the daemon log';

/** Shape of fastify's own errors (validation, body limit, bad JSON, bad content type). */
interface FrameworkError {
  readonly statusCode: number;
  readonly message: string;
  readonly code?: string;
  /** A schema failure: ajv's errors and where (`querystring`, `body`, `params`). */
  readonly validation?: readonly SchemaError[];
  readonly validationContext?: string;
}

function isFrameworkError(err: unknown): err is FrameworkError {
  if (typeof err !== 'object' || err === null) {
    return false;
  }
  const { statusCode, message } = err as { statusCode?: unknown; message?: unknown };
  return (
    typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500 && typeof message === 'string'
  );
}

/** Framework client errors keep their status (400, 413, 415) and are reported as REQUEST_INVALID. */
function frameworkMessage(err: FrameworkError, contentType: string | undefined): string {
  if (err.statusCode === 413) {
    return 'Request body is too large (1 MiB at most; 16 KiB for /enroll)';
  }
  if (err.statusCode === 415) {
    // Fastify's message does not name the type.
    const sent = contentType === undefined || contentType === '' ? 'none' : JSON.stringify(contentType);
    return (
      `Unsupported content type ${sent}: bodies are application/json ` +
      "(a manager's POST /alerts also takes application/x-ndjson)"
    );
  }
  if (Array.isArray(err.validation)) {
    return validationMessage(err.validationContext, err.validation) ?? err.message;
  }
  return err.message;
}

/**
 * Maps any thrown value to a status and an error body. Never exposes a stack. `contentType`: the
 * request's, named when it is the one refused.
 */
export function mapError(err: unknown, contentType?: string): MappedError {
  if (isRiposteError(err)) {
    const status = HTTP_STATUS[err.code] ?? 500;
    const internal = status >= 500 && err.code !== ErrorCode.DAEMON_UNREACHABLE;
    const message = err.code === ErrorCode.INTERNAL ? GENERIC_INTERNAL_MESSAGE : err.message;
    const retry = retryAfterSec(err);
    const mapped = { status, body: { error: { code: err.code, message } }, unexpected: internal };
    return retry === undefined ? mapped : { ...mapped, retryAfterSec: retry };
  }
  if (isFrameworkError(err)) {
    const message = frameworkMessage(err, contentType);
    const body: ErrorBody = { error: { code: ErrorCode.REQUEST_INVALID, message } };
    return { status: err.statusCode, body, unexpected: false };
  }
  const body: ErrorBody = { error: { code: ErrorCode.INTERNAL, message: GENERIC_INTERNAL_MESSAGE } };
  return { status: 500, body, unexpected: true };
}
