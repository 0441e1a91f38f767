/**
 * Opening files under a daemon home without following symbolic links (issue #13 finding 10): a
 * link planted in the home must never make a root daemon write, truncate or read another file.
 * Writes that replace a file go through a fresh temporary file (O_EXCL | O_NOFOLLOW) renamed over
 * the target, so a planted link is replaced, never followed.
 */
import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';

const { O_WRONLY, O_RDONLY, O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;

function symlinkRefusal(path: string): RiposteError {
  return new RiposteError(
    ErrorCode.HOME_UNSAFE,
    `Refusing to open "${path}": it is a symbolic link. Fix: remove it (rm '${path}') and check who created it`,
    { path },
  );
}

function openOrRefuse(path: string, flags: number, mode?: number): number {
  try {
    return openSync(path, flags | O_NOFOLLOW, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
      throw symlinkRefusal(path);
    }
    throw err;
  }
}

/**
 * Opens `path` for appending (created with `mode` when missing) without following a link.
 * @throws RiposteError HOME_UNSAFE when `path` is a symbolic link or not a regular file.
 */
export function openAppendNoFollow(path: string, mode: number): number {
  const fd = openOrRefuse(path, O_WRONLY | O_APPEND | O_CREAT, mode);
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw new RiposteError(ErrorCode.HOME_UNSAFE, `Refusing to open "${path}": not a regular file`, { path });
  }
  return fd;
}

/** Reads `path` as UTF-8 without following a link. @throws RiposteError HOME_UNSAFE on a link. */
export function readFileNoFollow(path: string): string {
  const fd = openOrRefuse(path, O_RDONLY);
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `path` with `text` (mode `mode`): writes a new temporary file next to it, then renames
 * it over `path`, so whatever was at `path` (a planted link included) is replaced, never followed.
 */
export function replaceFileNoFollow(path: string, text: string, mode: number): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  rmSync(tmp, { force: true });
  const fd = openOrRefuse(tmp, O_WRONLY | O_CREAT | O_EXCL, mode);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
