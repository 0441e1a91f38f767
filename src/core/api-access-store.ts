/**
 * Persistence ports of the manager API's access control, implemented by store/sqlite-api-tokens.ts.
 */
import type { ApiTokenRecord, AuditEntry, StoredApiToken } from '../protocol/api-access.js';

/** Persistence port for API tokens. Synchronous (better-sqlite3); each method is one transaction. */
export interface ApiTokenStore {
  insert(token: StoredApiToken): void;
  get(id: string): StoredApiToken | undefined;
  /** All tokens, oldest first, without their hashes. */
  list(): ApiTokenRecord[];
  /** Returns false when there was no such token. */
  remove(id: string): boolean;
  touch(id: string, usedAt: number): void;
}

/** Persistence port for the audit trail. Append-only. */
export interface AuditLog {
  append(entry: AuditEntry): void;
  /** Most recent first. */
  list(limit: number): AuditEntry[];
}
