/** All schema migrations, in order. Versions are 1..n without gaps (checked by `applyMigrations`). */
import { migration0001 } from './0001-init.js';
import { migration0002 } from './0002-order-seq.js';
import { migration0003 } from './0003-derived-deletes.js';
import { migration0004 } from './0004-revert-marks.js';

export interface Migration {
  /** Stored in `PRAGMA user_version` once applied. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [migration0001, migration0002, migration0003, migration0004];
