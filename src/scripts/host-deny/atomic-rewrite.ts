/**
 * Replaces a small text file atomically: the new content goes to a temporary file in the same
 * directory, gets the original's mode and owner, is flushed to disk, then renamed over the original.
 * A reader (tcpd, sshd) therefore sees either the old or the new file, never a half-written one.
 *
 * It does not lock: the caller holds the script's lock.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** Mode and owner for a file that does not exist yet: 0644 root:root, like a stock /etc/hosts.deny. */
const NEW_FILE = { mode: 0o644, uid: 0, gid: 0 } as const;

async function currentOwnership(file: string): Promise<{ mode: number; uid: number; gid: number }> {
  try {
    const st = await fs.stat(file);
    return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return NEW_FILE;
    }
    throw err;
  }
}

/** Reads `file` as UTF-8; a missing file reads as empty text. */
export async function readTextOrEmpty(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return '';
    }
    throw err;
  }
}

/**
 * Writes `content` to `file` atomically, keeping its mode, uid and gid (0644 root:root when new).
 * The temporary file is `<dir>/.<name>.riposte-<pid>` and is removed when anything fails.
 */
export async function atomicRewrite(file: string, content: string): Promise<void> {
  const own = await currentOwnership(file);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.riposte-${process.pid}`);
  await fs.rm(tmp, { force: true }); // a leftover of a crashed run with the same pid
  const handle = await fs.open(tmp, 'wx', own.mode);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.chmod(own.mode);
    await handle.chown(own.uid, own.gid);
    await handle.sync();
    await handle.close();
    await fs.rename(tmp, file);
  } catch (err) {
    await handle.close().catch(() => undefined);
    await fs.rm(tmp, { force: true });
    throw err;
  }
}
