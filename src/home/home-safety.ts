/**
 * Refuses a daemon home that someone other than the daemon's user (or root) could tamper with.
 *
 * Threat (issue #13 finding 10): a local user pre-creates the home 0777, then plants
 * `logs/riposte.log -> /etc/shadow` or swaps `var/api.sock` to capture the bearer token. The rule,
 * like sshd's StrictModes: the home, every directory Riposte uses inside it and every ancestor up
 * to `/` must be real directories owned by the daemon's user or root and not writable by group or
 * others (an ancestor may be world-writable only with the sticky bit, like /tmp). Symbolic links in
 * the path given are resolved first, so the checks apply to the directories actually used.
 */
import { lstatSync, mkdirSync, realpathSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';

/** Directories under the home that Riposte writes in (checked when they exist). */
export const HOME_SUBDIRS: readonly string[] = [
  'etc',
  'etc/shared',
  'etc/pki',
  'var',
  'logs',
  'queue',
  'queue/alerts',
  'active-response',
  'active-response/bin',
];

const GROUP_OTHER_WRITE = 0o022;
const STICKY = 0o1000;

function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`;
}

function daemonUid(): number {
  return process.geteuid?.() ?? 0;
}

function refuse(path: string, why: string, fix: string): RiposteError {
  return new RiposteError(ErrorCode.HOME_UNSAFE, `Refusing to use "${path}": ${why}. Fix: ${fix}`, {
    path,
  });
}

/** The problem with directory `path` (stats `st`, not followed), or undefined when it is safe. */
function directoryProblem(
  path: string,
  st: Stats,
  uid: number,
  allowSticky: boolean,
): RiposteError | undefined {
  if (!st.isDirectory()) {
    return refuse(path, 'it is not a directory (a symbolic link or a file)', `remove it: rm '${path}'`);
  }
  if (st.uid !== uid && st.uid !== 0) {
    return refuse(
      path,
      `it is owned by uid ${st.uid}, not by this daemon's user (uid ${uid}) or root`,
      `chown ${uid} '${path}' after checking its content, or run the daemon as uid ${st.uid}`,
    );
  }
  const writable = (st.mode & GROUP_OTHER_WRITE) !== 0;
  if (writable && !(allowSticky && (st.mode & STICKY) !== 0)) {
    return refuse(path, `it is writable by group or others (mode ${octal(st.mode)})`, `chmod go-w '${path}'`);
  }
  return undefined;
}

function checkAncestors(real: string, uid: number): void {
  let dir = dirname(real);
  for (;;) {
    const problem = directoryProblem(dir, lstatSync(dir), uid, true);
    if (problem) {
      throw problem;
    }
    const up = dirname(dir);
    if (up === dir) {
      return;
    }
    dir = up;
  }
}

/**
 * Creates `home` (0750) when missing, then checks it, its ancestors and its existing
 * {@link HOME_SUBDIRS}. Returns the home's real path.
 * @throws RiposteError HOME_UNSAFE naming the offending path and the command that fixes it.
 */
export function assertSafeHome(home: string, uid: number = daemonUid()): string {
  mkdirSync(resolve(home), { recursive: true, mode: 0o750 });
  const real = realpathSync(resolve(home));
  checkAncestors(real, uid);
  for (const dir of [real, ...HOME_SUBDIRS.map((d) => join(real, d))]) {
    let st: Stats;
    try {
      st = lstatSync(dir);
    } catch {
      continue; // created later by Riposte itself, 0750
    }
    const problem = directoryProblem(dir, st, uid, false);
    if (problem) {
      throw problem;
    }
  }
  return real;
}
