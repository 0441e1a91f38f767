/**
 * The manager API's tokens (hashes only) and audit trail on the cluster's PostgreSQL (tables of
 * migration 3, pg-manager-migrations.ts): shared by every node, so a token created on one node
 * works on all, a revoked one is refused by all, and the audit rows of every node are in one
 * place. Same ports and rows as the SQLite `<home>/var/api.db` (sqlite-api-tokens.ts); the same
 * contract suite runs on both (test/contract/api-access-store.contract.ts).
 */
import type pg from 'pg';
import type { ApiAccessStore, ApiTokenStore, AuditLog } from '../core/api-access-store.js';
import { publicRecord, revokeOutcome, type RevokeOutcome } from '../protocol/api-access.js';
import type { PgManagerOptions } from './pg-manager-base.js';
import { openMigratedPool } from './pg-manager-store.js';
import { pruneAuditSql } from './history-prune-sql.js';
import { pgParams } from './pg-text.js';
import { pgTransaction } from './pg-transaction.js';
import {
  rowToAudit,
  rowToToken,
  validAdminsWhere,
  type AuditRow,
  type TokenRow,
} from './sqlite-api-tokens.js';

/**
 * `revoke` in one transaction. The target and every admin token valid at `now` are locked (FOR
 * UPDATE, in id order: no deadlock between two revocations), so a concurrent revocation of another
 * admin token waits for this one and then counts without the row this one deleted.
 */
async function revoke(pool: pg.Pool, id: string, now: number): Promise<RevokeOutcome> {
  return pgTransaction(pool, async (client) => {
    const locked = await client.query<{ id: string; admin: boolean }>(
      `SELECT id, (${validAdminsWhere('$2')}) AS admin FROM api_tokens
         WHERE id = $1 OR (${validAdminsWhere('$2')}) ORDER BY id FOR UPDATE`,
      [id, now],
    );
    const outcome = revokeOutcome(
      locked.rows.find((r) => r.id === id)?.id,
      locked.rows.filter((r) => r.admin).map((r) => r.id),
    );
    if (outcome === 'revoked') {
      await client.query('DELETE FROM api_tokens WHERE id = $1', [id]);
    }
    return outcome;
  });
}

function tokenStore(pool: pg.Pool): ApiTokenStore {
  return {
    insert: async (t) => {
      await pool.query(
        `INSERT INTO api_tokens (id, name, role, secret_hash, created_at, expires_at, last_used_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        pgParams([
          t.id,
          t.name,
          t.role,
          t.secretHash,
          t.createdAt,
          t.expiresAt ?? null,
          t.lastUsedAt ?? null,
        ]),
      );
    },
    get: async (id) => {
      const r = await pool.query<TokenRow>('SELECT * FROM api_tokens WHERE id = $1', [id]);
      const row = r.rows[0];
      return row === undefined ? undefined : rowToToken(row);
    },
    list: async () => {
      const r = await pool.query<TokenRow>('SELECT * FROM api_tokens ORDER BY created_at, id');
      return r.rows.map((row) => publicRecord(rowToToken(row)));
    },
    remove: async (id) =>
      ((await pool.query('DELETE FROM api_tokens WHERE id = $1', [id])).rowCount ?? 0) > 0,
    revoke: (id, now) => revoke(pool, id, now),
    touch: async (id, usedAt) => {
      await pool.query('UPDATE api_tokens SET last_used_at = $1 WHERE id = $2', [usedAt, id]);
    },
  };
}

function auditLog(pool: pg.Pool): AuditLog {
  return {
    append: async (e) => {
      await pool.query(
        `INSERT INTO audit_log (at, token_id, token_name, role, method, path, status, agents, remote)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        // The request's text as PostgreSQL holds it (pg-text.ts): a path or an agent list with
        // a NUL must not fail the audit row.
        pgParams([
          e.at,
          e.tokenId ?? null,
          e.tokenName ?? null,
          e.role ?? null,
          e.method,
          e.path,
          e.status,
          e.agents ?? null,
          e.remote ?? null,
        ]),
      );
    },
    list: async (limit) => {
      const r = await pool.query<AuditRow>('SELECT * FROM audit_log ORDER BY seq DESC LIMIT $1', [limit]);
      return r.rows.map(rowToAudit);
    },
    prune: async (before, limit) =>
      (
        await pool.query(
          pruneAuditSql((n) => `$${n}`),
          [before, limit],
        )
      ).rowCount ?? 0,
  };
}

/**
 * Opens the API store on the PostgreSQL at `url` (a small pool of its own; tables created by the
 * manager store's migrations, applied here too when this opens first).
 * @throws when PostgreSQL cannot be reached (the pool is closed then)
 */
export async function openPgApiStore(url: string, opts: PgManagerOptions = {}): Promise<ApiAccessStore> {
  const pool = await openMigratedPool(url, {
    maxConnections: 3,
    applicationName: 'riposte api store',
    ...opts,
  });
  return { tokens: tokenStore(pool), audit: auditLog(pool), close: () => pool.end() };
}
