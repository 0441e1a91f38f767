/**
 * Persistence ports of the manager API's access control, implemented by store/sqlite-api-tokens.ts
 * (`<home>/var/api.db`, one node; synchronous) and store/pg-api-store.ts (the cluster's PostgreSQL,
 * shared by every node). A method answers directly or with a promise: callers `await` it.
 */
import type { ApiTokenRecord, AuditEntry, RevokeOutcome, StoredApiToken } from '../protocol/api-access.js';

type Answer<T> = T | Promise<T>;

/** Persistence port for API tokens. Each method is one transaction. */
export interface ApiTokenStore {
  insert(token: StoredApiToken): Answer<void>;
  get(id: string): Answer<StoredApiToken | undefined>;
  /** All tokens, oldest first, without their hashes. */
  list(): Answer<ApiTokenRecord[]>;
  /** Returns false when there was no such token. */
  remove(id: string): Answer<boolean>;
  /**
   * Deletes token `id` unless it is the last admin token valid at `now` (protocol/api-access.ts
   * revokeOutcome), the check and the delete in one transaction: two admins revoking each other's
   * token at once (on two nodes, say) cannot both succeed and leave no admin.
   */
  revoke(id: string, now: number): Answer<RevokeOutcome>;
  touch(id: string, usedAt: number): Answer<void>;
}

/** Persistence port for the audit trail: appended to, never changed; only age deletes an entry. */
export interface AuditLog {
  append(entry: AuditEntry): Answer<void>;
  /** Most recent first. */
  list(limit: number): Answer<AuditEntry[]>;
  /**
   * Deletes at most `limit` entries whose time (`at`) is before `before`, oldest first, in one
   * short transaction; answers how many it deleted (fewer than `limit`: none older is left).
   */
  prune(before: number, limit: number): Answer<number>;
}

/** Both ports on one database, and its lifetime. */
export interface ApiAccessStore {
  readonly tokens: ApiTokenStore;
  readonly audit: AuditLog;
  close(): Answer<void>;
}
