/**
 * What the manager store's SQLite class builds on: the prepared-statement cache and the small
 * key/value settings (migration 0002), e.g. the alerts.json tail position written in the same
 * transaction as the orders of the lines it covers.
 */
import type Database from 'better-sqlite3';
import { SETTINGS_SQL } from './manager-migrations/index.js';

export class SqliteManagerBase {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(protected readonly db: Database.Database) {}

  /** A prepared statement, compiled once per SQL text (they are all constants or few shapes). */
  protected q(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (st === undefined) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  getSetting(key: string): string | undefined {
    return (this.q(SETTINGS_SQL.get).get(key) as { value: string } | undefined)?.value;
  }

  setSetting(key: string, value: string): void {
    this.q(SETTINGS_SQL.set).run(key, value);
  }

  takeSetting(key: string): string | undefined {
    return (
      this.q('DELETE FROM settings WHERE key = ? RETURNING value').get(key) as { value: string } | undefined
    )?.value;
  }
}
