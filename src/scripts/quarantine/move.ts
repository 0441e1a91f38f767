/**
 * File moves that never overwrite, across file systems too, and the real-path root check.
 */
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { ScriptFailure } from '../contract/stock-script.js';
import { isBelow } from './target.js';

/**
 * Moves `from` to `to`, failing with EEXIST when `to` exists: link + unlink on one file system
 * (atomic no-overwrite), copy with COPYFILE_EXCL + unlink across file systems.
 * Returns the inode now at `to` (for {@link setAttributes}).
 */
export async function moveNoOverwrite(from: string, to: string): Promise<number> {
  try {
    await fs.link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP') {
      throw err;
    }
    await fs.copyFile(from, to, constants.COPYFILE_EXCL);
  }
  const { ino } = await fs.lstat(to);
  await fs.unlink(from);
  return ino;
}

/**
 * Checks, on real paths, that `file`'s directory is at or below one of `roots` (symlinks resolved, so a
 * link inside a root cannot lead out of it) and returns the real path of `file`.
 * @throws ScriptFailure when it is not, or when the directory or every root is missing.
 */
export async function realPathUnderRoots(file: string, roots: readonly string[]): Promise<string> {
  let dir: string;
  try {
    dir = await fs.realpath(path.dirname(file));
  } catch {
    throw new ScriptFailure(`Directory of '${file}' does not exist`);
  }
  const real = path.join(dir, path.basename(file));
  for (const root of roots) {
    const realRoot = await fs.realpath(root).catch(() => undefined);
    if (realRoot !== undefined && isBelow(real, realRoot)) {
      return real;
    }
  }
  throw new ScriptFailure(`Path '${file}' is not under an allowed root`);
}

/**
 * Applies mode, owner and times to `file` through a handle opened with O_NOFOLLOW, after checking it is
 * still the regular file with inode `ino`: a name swapped for a symlink meanwhile (the directory may be
 * writable by others) cannot redirect the chmod/chown to another file.
 */
export async function setAttributes(
  file: string,
  ino: number,
  attrs: { mode: number; uid?: number; gid?: number; atimeMs?: number; mtimeMs?: number },
): Promise<void> {
  const handle = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.ino !== ino) {
      throw new ScriptFailure(`File '${file}' changed while being moved`);
    }
    if (attrs.uid !== undefined && attrs.gid !== undefined) {
      await handle.chown(attrs.uid, attrs.gid);
    }
    await handle.chmod(attrs.mode);
    if (attrs.atimeMs !== undefined && attrs.mtimeMs !== undefined) {
      await handle.utimes(attrs.atimeMs / 1000, attrs.mtimeMs / 1000);
    }
  } finally {
    await handle.close();
  }
}
