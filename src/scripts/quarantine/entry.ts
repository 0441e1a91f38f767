/**
 * One quarantined file: `<home>/quarantine/<id>/file` (mode 0400) plus `<id>/meta.json`, where
 * `<id>` = the first 32 hex digits of sha256(original path), so a delete finds the entry from the same
 * alert without any index. The directories are 0700: only root reaches the files.
 *
 * An entry counts as present only when both files exist (a crash between writing meta.json and
 * moving the file leaves an entry that is simply overwritten by the next add).
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';

/** What is kept to restore the file exactly. */
export interface QuarantineMeta {
  readonly version: 1;
  readonly originalPath: string;
  /** Permission bits (mode & 0o7777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly atimeMs: number;
  readonly mtimeMs: number;
  /** Hex sha256 of the content. */
  readonly sha256: string;
  /** `parameters.alert.id` of the alert that quarantined it, when present. */
  readonly alertId: string | undefined;
  /** ISO time of the move. */
  readonly quarantinedAt: string;
}

export interface EntryPaths {
  readonly dir: string;
  readonly file: string;
  readonly meta: string;
}

/** Paths of the entry for `originalPath` under `<home>/quarantine`. */
export function entryPaths(home: string, originalPath: string): EntryPaths {
  const id = createHash('sha256').update(originalPath).digest('hex').slice(0, 32);
  const dir = path.join(home, 'quarantine', id);
  return { dir, file: path.join(dir, 'file'), meta: path.join(dir, 'meta.json') };
}

/** Hex sha256 of a file's content. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** The entry's metadata when the entry is complete, else undefined. */
export async function readEntry(paths: EntryPaths): Promise<QuarantineMeta | undefined> {
  if (!(await exists(paths.file))) {
    return undefined;
  }
  try {
    return JSON.parse(await fs.readFile(paths.meta, 'utf8')) as QuarantineMeta;
  } catch {
    return undefined;
  }
}

/** Creates the entry directory (and `quarantine/`) and writes meta.json; any stale entry is replaced. */
export async function writeEntryMeta(paths: EntryPaths, meta: QuarantineMeta): Promise<void> {
  await fs.mkdir(path.dirname(paths.dir), { recursive: true, mode: 0o700 });
  await fs.rm(paths.dir, { recursive: true, force: true });
  await fs.mkdir(paths.dir, { mode: 0o700 });
  await fs.writeFile(paths.meta, `${JSON.stringify(meta, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
}

/** Removes the entry. */
export async function removeEntry(paths: EntryPaths): Promise<void> {
  await fs.rm(paths.dir, { recursive: true, force: true });
}
