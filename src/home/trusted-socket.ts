/**
 * Checks, before a client sends the local API's bearer token, that `var/api.sock` was made by the
 * daemon that wrote `var/api.token` (issue #13 finding 10: a swapped socket in a home writable by
 * another user captured root's token). Both must be what they claim (a socket, a regular file, no
 * links), have the same owner, and live in a directory only that owner or root can change.
 */
import { lstatSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';

function unsafe(path: string, why: string): RiposteError {
  return new RiposteError(ErrorCode.HOME_UNSAFE, `Refusing to send the API token to "${path}": ${why}`, {
    path,
  });
}

function stat(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/**
 * @throws RiposteError HOME_UNSAFE when the socket or token cannot be trusted; returns quietly
 * when either is missing (the caller then reports the daemon as unreachable).
 */
export function assertTrustedSocket(socketPath: string, tokenPath: string): void {
  const sock = stat(socketPath);
  const token = stat(tokenPath);
  if (sock === undefined || token === undefined) {
    return;
  }
  if (!token.isFile()) {
    throw unsafe(socketPath, `"${tokenPath}" is not a regular file (a symbolic link?)`);
  }
  if (!sock.isSocket()) {
    throw unsafe(socketPath, 'it is not a socket (a symbolic link or a file)');
  }
  if (sock.uid !== token.uid) {
    throw unsafe(
      socketPath,
      `it is owned by uid ${sock.uid}, the token by uid ${token.uid} (swapped socket?)`,
    );
  }
  const dir = dirname(socketPath);
  const d = lstatSync(dir);
  if (!d.isDirectory() || (d.uid !== token.uid && d.uid !== 0) || (d.mode & 0o022) !== 0) {
    throw unsafe(
      socketPath,
      `its directory "${dir}" can be changed by users other than uid ${token.uid} (mode 0${(d.mode & 0o777).toString(8)}, owner ${d.uid}). Fix: chmod go-w '${dir}'`,
    );
  }
}

/** After `listen`: `path` must be the socket this process just made (not swapped in between). */
export function assertOwnSocket(path: string): void {
  const st = lstatSync(path);
  const uid = process.geteuid?.() ?? st.uid;
  if (!st.isSocket() || st.uid !== uid) {
    throw new RiposteError(ErrorCode.HOME_UNSAFE, `Refusing to serve on "${path}": replaced while binding`, {
      path,
    });
  }
}
