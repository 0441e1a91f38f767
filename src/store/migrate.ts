/**
 * Applies schema migrations to an open database. Each pending migration runs in its own
 * transaction together with the `PRAGMA user_version` bump, so a crash leaves either the old or the
 * new version, never half a schema. Running it again on an up-to-date database does nothing.
 */
import type Database from 'better-sqlite3';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';

/** Current schema version of `db` (0 for a new file). */
export function schemaVersion(db: Database.Database): number {
  const v = db.pragma('user_version', { simple: true });
  return typeof v === 'number' ? v : 0;
}

/**
 * Brings `db` up to the newest schema; returns the versions applied (empty when up to date).
 * @throws RiposteError INTERNAL when the file was written by a newer Riposte (unknown version).
 */
export function applyMigrations(
  db: Database.Database,
  migrations: readonly Migration[] = MIGRATIONS,
): number[] {
  const latest = migrations.length;
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new RiposteError(
        ErrorCode.INTERNAL,
        `Migration "${m.name}" has version ${m.version}, expected ${i + 1}`,
      );
    }
  });
  const current = schemaVersion(db);
  if (current > latest) {
    throw new RiposteError(
      ErrorCode.INTERNAL,
      `Cannot open store "${db.name}": schema version ${current} is newer than this Riposte (${latest})`,
    );
  }
  const applied: number[] = [];
  for (const m of migrations.slice(current)) {
    db.transaction(() => {
      db.exec(m.sql);
      // PRAGMA takes no bound parameters; the version is a checked integer.
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
    applied.push(m.version);
  }
  return applied;
}
