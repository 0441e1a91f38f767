/**
 * Opens a durable SQLite database the same way for both stores (agent.db, manager.db): private
 * file (0600, created without following a link), WAL + synchronous=NORMAL, `PRAGMA quick_check`,
 * migrations, and a first-start marker.
 *
 * Corruption is a refusal, never a silent fresh start (issue #13 finding 11): a file that is not a
 * database or fails quick_check throws STORE_CORRUPT naming the file. A zero-length file is
 * corruption too unless this is a first start. How we know: after the first successful migration a
 * marker `<file>.created` (holding the creation time) is written next to the database, so a
 * zero-length database with its marker present was emptied after the fact (truncation, a bad
 * restore, a full disk during a copy), while a zero-length one without marker is a first start that
 * was interrupted before its schema was written.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openAppendNoFollow, readFileNoFollow, replaceFileNoFollow } from '../home/no-follow.js';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { applyMigrations } from './migrate.js';
import type { Migration } from './migrations/index.js';
import { CHECK_MMAP_BYTES } from './quick-check-rows.js';
import { errorMessage } from '../protocol/error-message.js';

/** How long a statement waits for a lock held by another connection (ms). */
const BUSY_TIMEOUT_MS = 5_000;
/** quick_check messages quoted in the refusal. */
const QUOTED_PROBLEMS = 3;

export function createdMarkerPath(file: string): string {
  return `${file}.created`;
}

function corrupt(file: string, why: string, cause?: unknown): RiposteError {
  return new RiposteError(
    ErrorCode.STORE_CORRUPT,
    `Database "${file}" is damaged: ${why}. Riposte refuses to start with it; keep a copy, then restore it from a backup (or move it and "${createdMarkerPath(file)}" away to start empty)`,
    { path: file },
    cause === undefined ? undefined : { cause },
  );
}

function sqliteCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/** Turns SQLite's "corrupt"/"not a database"/"full" errors into RiposteErrors naming `file`. */
export function storeError(file: string, err: unknown): unknown {
  const code = sqliteCode(err);
  const message = errorMessage(err);
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return corrupt(file, message, err);
  }
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
    return new RiposteError(
      ErrorCode.STORE_FULL,
      `Cannot write "${file}": the disk is full`,
      { path: file },
      {
        cause: err,
      },
    );
  }
  return err;
}

/** Refuses an emptied database; creates the file (0600, no link followed) when missing. */
function prepareFile(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const marker = createdMarkerPath(file);
  const existing = fs.statSync(file, { throwIfNoEntry: false });
  if (existing?.size === 0 && fs.existsSync(marker)) {
    const since = readFileNoFollow(marker).trim();
    throw corrupt(file, `it is empty (0 bytes) but was created at ${since}`);
  }
  fs.closeSync(openAppendNoFollow(file, 0o600));
  // An existing file is re-chmodded: it holds alert data and must not be readable by others. The
  // WAL and shared-memory files SQLite creates next to it inherit this mode.
  fs.chmodSync(file, 0o600);
}

/**
 * quick_check reads every page through a memory map (CHECK_MMAP_BYTES). The map is dropped right
 * after, so the rest of the process reads through ordinary I/O (a file truncated under a map
 * faults the process; an I/O error is reported, not a signal): only the check runs mapped.
 */
function quickCheck(file: string, db: Database.Database): void {
  db.pragma(`mmap_size = ${CHECK_MMAP_BYTES}`);
  let rows: { quick_check?: unknown }[];
  try {
    rows = db.pragma('quick_check') as { quick_check?: unknown }[];
  } finally {
    db.pragma('mmap_size = 0');
  }
  const problems = rows.map((r) => String(r.quick_check)).filter((m) => m !== 'ok');
  if (problems.length > 0) {
    throw corrupt(file, `PRAGMA quick_check failed: ${problems.slice(0, QUOTED_PROBLEMS).join('; ')}`);
  }
}

function markCreated(file: string): void {
  const marker = createdMarkerPath(file);
  if (!fs.existsSync(marker)) {
    replaceFileNoFollow(marker, `${new Date().toISOString()}\n`, 0o600);
  }
}

export interface OpenOptions {
  /**
   * quick_check has already passed on this file, with nothing written to it since
   * (quick-check-ahead.ts): the opening does not run it again. @default false
   */
  readonly checkedAhead?: boolean;
}

/**
 * Opens, checks and migrates the database at `file`.
 * @throws RiposteError STORE_CORRUPT (naming the file) when it is emptied, not a database or fails
 *   quick_check; INTERNAL when its schema is newer than this Riposte; HOME_UNSAFE when it is a link.
 */
export function openCheckedDatabase(
  file: string,
  migrations: readonly Migration[],
  opts: OpenOptions = {},
): Database.Database {
  prepareFile(file);
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
    db.pragma('journal_mode = WAL');
    // WAL + synchronous=NORMAL: a commit reaches the WAL (the OS page cache) without fsync;
    // checkpoints are fsync'ed. Durable against a crash of this process (kill -9, OOM kill); a
    // power loss may lose the last transactions, never corrupt the database.
    db.pragma('synchronous = NORMAL');
    if (opts.checkedAhead !== true) {
      quickCheck(file, db);
    }
    applyMigrations(db, migrations);
    markCreated(file);
    return db;
  } catch (err) {
    db?.close();
    throw storeError(file, err);
  }
}
