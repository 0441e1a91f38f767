/**
 * The length limit of a unix socket's path. Linux's `sockaddr_un.sun_path` holds 108 bytes, its
 * terminating NUL included; Node (and unix-dgram) copy a longer path cut short without an error,
 * so a daemon with a long `--home` made its socket at a shorter path that no client looks for,
 * and its clients found nothing. Refused at start instead, naming the path.
 */
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';

export const MAX_SOCKET_PATH_BYTES = 107;

/**
 * CONFIG_INVALID when `path` is too long for a unix socket; `what` names the socket in the
 * message ("the local API socket"). Undefined when it fits.
 */
export function socketPathError(path: string, what: string): RiposteError | undefined {
  const bytes = Buffer.byteLength(path);
  if (bytes <= MAX_SOCKET_PATH_BYTES) {
    return undefined;
  }
  return new RiposteError(
    ErrorCode.CONFIG_INVALID,
    `Cannot listen on "${path}" for ${what}: the path is ${bytes} bytes, longer than the ` +
      `${MAX_SOCKET_PATH_BYTES} a unix socket address holds; use a shorter --home`,
    { address: path, reason: 'ENAMETOOLONG' },
  );
}
