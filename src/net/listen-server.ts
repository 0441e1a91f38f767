/**
 * `server.listen` as a promise, for every server the daemons run (the manager's link and API
 * port, the local API's socket and port). A listen error rejects; one the operator can fix (the
 * address is in use, not on this host, a privileged port, a socket path that cannot be created,
 * a host name that does not resolve) as CONFIG_INVALID (exit 1) naming what could not listen,
 * where and why, the Node error kept as its `cause`; any other error rejects unchanged (INTERNAL).
 * Once listening, a later 'error' event (an accept that fails: EMFILE, ENOBUFS) goes to `onError`
 * rather than ending the process; the server goes on accepting.
 */
import type { ListenOptions, Server } from 'node:net';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { socketPathError } from './socket-path.js';

/** The lowest port an unprivileged process may bind on Linux (net.ipv4.ip_unprivileged_port_start). */
const FIRST_UNPRIVILEGED_PORT = 1024;

function accessDenied(where: ListenOptions): string {
  if (where.path !== undefined) {
    return 'permission denied (EACCES); its directory is missing or not writable by this user';
  }
  const port = where.port ?? 0;
  return port > 0 && port < FIRST_UNPRIVILEGED_PORT
    ? `permission denied (EACCES); a port below ${FIRST_UNPRIVILEGED_PORT} needs root or CAP_NET_BIND_SERVICE`
    : 'permission denied (EACCES)';
}

function notPermitted(where: ListenOptions): string {
  return where.path !== undefined
    ? 'operation not permitted (EPERM); is its directory immutable (lsattr) or on a restricted mount?'
    : 'operation not permitted (EPERM); a security policy (SELinux, AppArmor, seccomp) refused it';
}

/** Why a listen failed and what fixes it, per errno code; codes not here are not the operator's. */
const REASONS: ReadonlyMap<string, (where: ListenOptions) => string> = new Map([
  ['EADDRINUSE', () => 'address already in use (EADDRINUSE); another process holds it'],
  ['EADDRNOTAVAIL', () => 'address not available (EADDRNOTAVAIL); it is not an address of this host'],
  ['EACCES', accessDenied],
  ['ENOTFOUND', () => 'no such host name (ENOTFOUND); give a name or address of this host'],
  // A unix socket's path (the local API socket, the execq socket):
  ['EPERM', notPermitted],
  ['EROFS', () => 'read-only file system (EROFS)'],
  ['ENOENT', () => 'its directory does not exist (ENOENT)'],
  ['ENOTDIR', () => 'a part of the path is a file, not a directory (ENOTDIR)'],
  ['EEXIST', () => 'a part of the path is a file, not a directory (EEXIST)'],
  ['ERR_FS_EISDIR', () => 'a directory is in the way at that path; remove it'],
  // Not EAI_AGAIN (a name server that did not answer, a network still coming up at boot): that
  // one may pass, so it stays INTERNAL (exit 70), which the systemd unit of docs/scale-out.md
  // restarts, where exit 1 would leave the node down.
]);

/** `"PATH"`, `HOST:PORT` or `[V6]:PORT`, as the operator wrote it. */
function addressOf(where: ListenOptions): string {
  if (where.path !== undefined) {
    return `"${where.path}"`;
  }
  const host = where.host ?? '*';
  return `${host.includes(':') ? `[${host}]` : host}:${where.port ?? 0}`;
}

/**
 * The error a failed listen rejects with: CONFIG_INVALID for the codes of REASONS, `err` itself
 * for any other. `what` names the listener, e.g. "the local API (--listen)".
 */
export function listenFailure(err: Error, where: ListenOptions, what: string): Error {
  const code = (err as NodeJS.ErrnoException).code;
  const reason = code !== undefined ? REASONS.get(code) : undefined;
  if (reason === undefined) {
    return err;
  }
  return new RiposteError(
    ErrorCode.CONFIG_INVALID,
    `Cannot listen on ${addressOf(where)} for ${what}: ${reason(where)}`,
    { address: addressOf(where), reason: code },
    { cause: err },
  );
}

/**
 * Listens on `where`. @param what names the listener in a failure's message, with its flag when
 * one sets the address ("the local API (--listen)").
 * @throws RiposteError CONFIG_INVALID when the operator must fix the address (listenFailure).
 */
export function listenServer(
  server: Server,
  where: ListenOptions,
  what: string,
  onError: (err: Error) => void,
): Promise<void> {
  const tooLong = where.path !== undefined ? socketPathError(where.path, what) : undefined;
  if (tooLong !== undefined) {
    return Promise.reject(tooLong);
  }
  return new Promise((resolve, reject) => {
    const failed = (err: Error): void => {
      reject(listenFailure(err, where, what));
    };
    server.once('error', failed);
    server.listen(where, () => {
      server.off('error', failed);
      server.on('error', onError);
      resolve();
    });
  });
}
