/**
 * Why the execq socket could not be made, said as the listeners say it (net/listen-server.ts). A
 * failure the operator can fix (a queue directory this user cannot write, a read-only file system,
 * a file or directory in the socket's way) is CONFIG_INVALID (exit 1) naming the path and the
 * cause; before, unix-dgram's own error read "bind -13" and the daemon exited 70 (INTERNAL), which
 * its systemd unit restarts forever.
 */
import { constants } from 'node:os';
import { listenFailure } from '../net/listen-server.js';

/** errno number -> name ("EACCES"), from the platform's own table. */
const ERRNO_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(constants.errno).map(([name, n]) => [n, name]),
);

/**
 * unix-dgram's error (its `code` is the negated errno number, its message "bind -13") as Node's
 * own would be: `code` the errno's name, message "bind EACCES". Any other error is returned as is.
 */
export function dgramErrno(err: Error): Error {
  const code = (err as { code?: unknown }).code;
  const name = typeof code === 'number' ? ERRNO_NAMES.get(-code) : undefined;
  if (name === undefined) {
    return err;
  }
  const raw = (err as { syscall?: unknown }).syscall;
  const syscall = typeof raw === 'string' ? raw : 'socket';
  return Object.assign(new Error(`${syscall} ${name}`, { cause: err }), { code: name, syscall });
}

/** The error bindExecqSocket rejects with when making the socket at `path` failed with `err`. */
export function execqBindFailure(err: unknown, path: string): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  return listenFailure(dgramErrno(e), { path }, 'the execq socket');
}
