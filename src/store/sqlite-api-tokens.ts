/**
 * The manager API's durable token store and audit trail on SQLite, normally at DIR/var/api.db (a
 * file of its own, so its schema evolves independently of the manager's order store).
 *
 * Only hashes of token secrets are stored (see manager-api/api-tokens.ts); the audit table never
 * holds a token or a request body. The file is created 0600 in a 0700 directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { ApiTokenRecord, RevokeOutcome, StoredApiToken } from '../protocol/api-access.js';
import { isRole, publicRecord, revokeOutcome } from '../protocol/api-access.js';
import type { AuditEntry } from '../protocol/api-access.js';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { pruneAuditSql } from './history-prune-sql.js';

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS api_tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('read', 'operator', 'admin')),
  secret_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  last_used_at INTEGER
);
CREATE TABLE IF NOT EXISTS audit_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  token_id TEXT,
  token_name TEXT,
  role TEXT,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  status INTEGER NOT NULL,
  agents TEXT,
  remote TEXT
);
CREATE INDEX IF NOT EXISTS audit_log_by_at ON audit_log (at);
`;

/** ApiTokenStore (core/api-access-store.ts), answering synchronously. */
export interface SyncApiTokenStore {
  insert(token: StoredApiToken): void;
  get(id: string): StoredApiToken | undefined;
  list(): ApiTokenRecord[];
  remove(id: string): boolean;
  revoke(id: string, now: number): RevokeOutcome;
  touch(id: string, usedAt: number): void;
}

/** AuditLog (core/api-access-store.ts), answering synchronously. */
export interface SyncAuditLog {
  append(entry: AuditEntry): void;
  list(limit: number): AuditEntry[];
  prune(before: number, limit: number): number;
}

/** The two ports backed by one database, and its lifetime (an ApiAccessStore). */
export interface SqliteApiStore {
  readonly tokens: SyncApiTokenStore;
  readonly audit: SyncAuditLog;
  close(): void;
}

/** A row of `api_tokens` (the same columns on PostgreSQL: pg-api-store.ts). */
export interface TokenRow {
  id: string;
  name: string;
  role: string;
  secret_hash: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
}

/** A row of `audit_log`. */
export interface AuditRow {
  at: number;
  token_id: string | null;
  token_name: string | null;
  role: string | null;
  method: string;
  path: string;
  status: number;
  agents: string | null;
  remote: string | null;
}

const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

export function rowToToken(row: TokenRow): StoredApiToken {
  if (!isRole(row.role)) {
    throw new RiposteError(ErrorCode.INTERNAL, `Token ${row.id} has an unknown role "${row.role}"`);
  }
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    secretHash: row.secret_hash,
    createdAt: row.created_at,
    expiresAt: opt(row.expires_at),
    lastUsedAt: opt(row.last_used_at),
  };
}

export function rowToAudit(row: AuditRow): AuditEntry {
  return {
    at: row.at,
    tokenId: opt(row.token_id),
    tokenName: opt(row.token_name),
    role: isRole(row.role) ? row.role : undefined,
    method: row.method,
    path: row.path,
    status: row.status,
    agents: opt(row.agents),
    remote: opt(row.remote),
  };
}

function openDatabase(file: string): Database.Database {
  if (file !== ':memory:') {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.closeSync(fs.openSync(file, 'a', 0o600));
    fs.chmodSync(file, 0o600);
  }
  const db = new Database(file, { timeout: 5_000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const version = db.pragma('user_version', { simple: true });
  if (typeof version === 'number' && version > SCHEMA_VERSION) {
    db.close();
    throw new RiposteError(
      ErrorCode.INTERNAL,
      `Cannot open "${file}": schema ${version} is newer than this Riposte`,
    );
  }
  db.exec(SCHEMA);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
  return db;
}

/**
 * The condition on an admin token valid at the time in parameter `now` (epoch ms), as
 * protocol/api-access.ts validAt says; the same on PostgreSQL (pg-api-store.ts).
 */
export const validAdminsWhere = (now: string): string =>
  `role = 'admin' AND (expires_at IS NULL OR expires_at >= ${now})`;

/** `revoke`: the check and the delete in one IMMEDIATE transaction (the write lock taken first). */
function revoker(db: Database.Database): (id: string, now: number) => RevokeOutcome {
  const exists = db.prepare<[string], { id: string }>('SELECT id FROM api_tokens WHERE id = ?');
  const admins = db.prepare<[number], { id: string }>(
    `SELECT id FROM api_tokens WHERE ${validAdminsWhere('?')}`,
  );
  const remove = db.prepare('DELETE FROM api_tokens WHERE id = ?');
  const revoke = db.transaction((id: string, now: number): RevokeOutcome => {
    const outcome = revokeOutcome(
      exists.get(id)?.id,
      admins.all(now).map((r) => r.id),
    );
    if (outcome === 'revoked') {
      remove.run(id);
    }
    return outcome;
  });
  return (id, now) => revoke.immediate(id, now);
}

function tokenStore(db: Database.Database): SyncApiTokenStore {
  const insert = db.prepare(
    `INSERT INTO api_tokens (id, name, role, secret_hash, created_at, expires_at, last_used_at)
     VALUES (@id, @name, @role, @secretHash, @createdAt, @expiresAt, @lastUsedAt)`,
  );
  const get = db.prepare<[string], TokenRow>('SELECT * FROM api_tokens WHERE id = ?');
  const list = db.prepare<[], TokenRow>('SELECT * FROM api_tokens ORDER BY created_at, id');
  const remove = db.prepare('DELETE FROM api_tokens WHERE id = ?');
  const touch = db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?');
  return {
    insert: (t) => {
      insert.run({ ...t, expiresAt: t.expiresAt ?? null, lastUsedAt: t.lastUsedAt ?? null });
    },
    get: (id) => {
      const row = get.get(id);
      return row === undefined ? undefined : rowToToken(row);
    },
    list: () => list.all().map((row) => publicRecord(rowToToken(row))),
    remove: (id) => remove.run(id).changes > 0,
    revoke: revoker(db),
    touch: (id, usedAt) => {
      touch.run(usedAt, id);
    },
  };
}

function auditLog(db: Database.Database): SyncAuditLog {
  const append = db.prepare(
    `INSERT INTO audit_log (at, token_id, token_name, role, method, path, status, agents, remote)
     VALUES (@at, @tokenId, @tokenName, @role, @method, @path, @status, @agents, @remote)`,
  );
  const list = db.prepare<[number], AuditRow>('SELECT * FROM audit_log ORDER BY seq DESC LIMIT ?');
  const prune = db.prepare<[number, number]>(pruneAuditSql(() => '?'));
  return {
    append: (e) => {
      append.run({
        ...e,
        tokenId: e.tokenId ?? null,
        tokenName: e.tokenName ?? null,
        role: e.role ?? null,
        agents: e.agents ?? null,
        remote: e.remote ?? null,
      });
    },
    list: (limit) => list.all(limit).map(rowToAudit),
    prune: (before, limit) => prune.run(before, limit).changes,
  };
}

/**
 * Opens (creating when needed) the API store at `file` (`:memory:` for tests).
 * @throws RiposteError INTERNAL when the file has a newer schema; SqliteError when it is not a database.
 */
export function openSqliteApiStore(file: string): SqliteApiStore {
  const db = openDatabase(file);
  return { tokens: tokenStore(db), audit: auditLog(db), close: () => db.close() };
}
