/**
 * Turns what a command threw into the error the user sees (docs/errors.md, "CLI"): a RiposteError
 * as it is; a Node system error about a path the user gave (ENOENT, EACCES, EISDIR, ENOTDIR...) into
 * REQUEST_INVALID naming the path and the reason, never a stack or INTERNAL; anything else INTERNAL.
 */
import { ErrorCode, isRiposteError, RiposteError } from '../protocol/error-codes.js';
import { errorMessage } from '../protocol/error-message.js';

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'name too long',
};

interface SystemError {
  readonly code?: unknown;
  readonly path?: unknown;
  readonly syscall?: unknown;
}

/** The error to report for `err`. */
export function userErrorOf(err: unknown): RiposteError {
  if (isRiposteError(err)) {
    return err;
  }
  const sys = (typeof err === 'object' && err !== null ? err : {}) as SystemError;
  const reason = typeof sys.code === 'string' ? REASONS[sys.code] : undefined;
  if (reason !== undefined && typeof sys.path === 'string') {
    const verb = sys.syscall === 'mkdir' || sys.syscall === 'open' ? 'open' : 'use';
    return new RiposteError(ErrorCode.REQUEST_INVALID, `Cannot ${verb} "${sys.path}": ${reason}`);
  }
  if (err instanceof SyntaxError) {
    return new RiposteError(ErrorCode.REQUEST_INVALID, `Not valid JSON: ${err.message}`);
  }
  return new RiposteError(ErrorCode.INTERNAL, errorMessage(err));
}
