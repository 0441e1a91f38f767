/**
 * `riposte manager migrate-store` (docs/scale-out.md "Store"): copies a SQLite manager store into
 * an empty PostgreSQL one, table by table (the two schemas have the same tables and columns), in
 * one PostgreSQL transaction: agents, enrollment tokens, orders with their states and seqs (the
 * per-agent seq counters are seeded from the SQLite counters, never below the highest order seq),
 * executions (their numbering kept, the sequence moved past it), active lists and settings (the
 * alerts.json positions among them), plus `extraSettings` (the CA and the enrollment password the
 * caller read from the manager's home), and the API tokens (hashes) and audit trail of the home's
 * `var/api.db` when given. A target holding any row is refused: a merge could reuse
 * agent ids and seqs. `renameSetting` renames settings on the way (the alerts.json positions of
 * an older version, kept under a path-only key, become the migrated home's per-node keys: the
 * migrated node continues where it stopped, and no other node can adopt its position); a renamed
 * setting whose new key the store already holds is dropped (the store's own value wins).
 */
import Database from 'better-sqlite3';
import type pg from 'pg';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { openPgManagerStore } from './pg-manager-store.js';
import { connectStore } from './pg-connect.js';
import { pgJsonText, pgText } from './pg-text.js';

/** Copied in this order; each with its columns (shared by both schemas). */
const TABLES: readonly (readonly [string, readonly string[]])[] = [
  [
    'agents',
    [
      'id',
      'name',
      'fingerprint',
      'registered_at',
      'removed_at',
      'last_seen',
      'version',
      'address',
      'ar_disabled',
    ],
  ],
  ['enroll_tokens', ['hash', 'name', 'created_at', 'expires_at', 'used_at']],
  [
    'orders',
    [
      'agent_id',
      'seq',
      'kind',
      'source',
      'ar_name',
      'key',
      'alert_id',
      'payload',
      'state',
      'created_at',
      'expires_at',
      'delivered_at',
      'executed_at',
      'reverted_at',
      'expired_at',
      'outcome',
      'execution_id',
      'note',
    ],
  ],
  ['executions', ['n', 'agent_id', 'id', 'order_seq', 'received_at', 'record']],
  ['active', ['agent_id', 'key', 'reported_at', 'record']],
  ['settings', ['key', 'value']],
];

/** Rows per INSERT (PostgreSQL allows 65,535 parameters per statement). */
const CHUNK = 500;

export type MigrateCounts = Record<string, number>;

/**
 * A copied value as PostgreSQL stores it (pg-text.ts): SQLite holds NULs and lone surrogates that
 * PostgreSQL refuses (in an execution's stderr, say), each made U+FFFD, in a `record` column's JSON
 * too; one refused value would fail the whole migration.
 */
function storable(column: string, v: unknown): unknown {
  if (typeof v !== 'string') {
    return v ?? null;
  }
  return column === 'record' ? pgJsonText(v) : pgText(v);
}

async function insertRows(
  client: pg.ClientBase,
  table: string,
  columns: readonly string[],
  rows: readonly Record<string, unknown>[],
): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const params: unknown[] = [];
    const tuples = chunk.map((row) => {
      const marks = columns.map((c) => {
        params.push(storable(c, row[c]));
        return `$${params.length}`;
      });
      return `(${marks.join(', ')})`;
    });
    await client.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, params);
  }
}

/** The API store's tables (`<home>/var/api.db`, sqlite-api-tokens.ts; pg-api-store.ts), copied after. */
const API_TABLES: readonly (readonly [string, readonly string[]])[] = [
  ['api_tokens', ['id', 'name', 'role', 'secret_hash', 'created_at', 'expires_at', 'last_used_at']],
  [
    'audit_log',
    ['seq', 'at', 'token_id', 'token_name', 'role', 'method', 'path', 'status', 'agents', 'remote'],
  ],
];

/** Copies the API store `apiFile` (tokens, audit with its numbering) into the open transaction. */
async function copyApiStore(client: pg.ClientBase, apiFile: string, counts: MigrateCounts): Promise<void> {
  const source = new Database(apiFile, { readonly: true, fileMustExist: true });
  try {
    for (const [table, columns] of API_TABLES) {
      const rows = source.prepare(`SELECT ${columns.join(', ')} FROM ${table}`).all() as Record<
        string,
        unknown
      >[];
      await insertRows(client, table, columns, rows);
      counts[table] = rows.length;
    }
  } finally {
    source.close();
  }
  await client.query(
    `SELECT setval(pg_get_serial_sequence('audit_log', 'seq'), COALESCE((SELECT MAX(seq) FROM audit_log), 0) + 1, false)`,
  );
}

/** `rows` of the settings table with their keys renamed (module header). */
function renamedSettings(
  rows: readonly Record<string, unknown>[],
  rename: (key: string) => string,
): Record<string, unknown>[] {
  const keys = new Set(rows.map((r) => String(r['key'])));
  const out: Record<string, unknown>[] = [];
  for (const row of rows) {
    const key = String(row['key']);
    const renamed = rename(key);
    if (renamed === key) {
      out.push(row);
    } else if (!keys.has(renamed)) {
      keys.add(renamed);
      out.push({ ...row, key: renamed });
    }
  }
  return out;
}

/** The `extra` settings the copied rows do not already hold (the store's own value wins). */
function missingSettings(
  rows: readonly Record<string, unknown>[],
  extra: Readonly<Record<string, string>>,
): Record<string, unknown>[] {
  const have = new Set(rows.map((r) => r['key']));
  return Object.entries(extra)
    .filter(([key]) => !have.has(key))
    .map(([key, value]) => ({ key, value }));
}

async function assertEmpty(client: pg.ClientBase): Promise<void> {
  for (const [table] of [...TABLES, ...API_TABLES]) {
    const r = await client.query(`SELECT 1 FROM ${table} LIMIT 1`);
    if ((r.rowCount ?? 0) > 0) {
      throw new RiposteError(
        ErrorCode.CONFIG_INVALID,
        `--to: the PostgreSQL store is not empty (table ${table} has rows); migrate into an empty database`,
      );
    }
  }
}

export interface MigrateOptions {
  /** Settings added unless the store holds the key (the home's CA and enrollment password). */
  readonly extraSettings?: Readonly<Record<string, string>>;
  /** The home's `var/api.db` (API tokens and audit), copied too. */
  readonly apiFile?: string;
  /** Renames settings on the way (module header). */
  readonly renameSetting?: (key: string) => string;
}

/**
 * Copies the SQLite store `sqliteFile` into the PostgreSQL store at `pgUrl` (created/migrated
 * first); returns the rows copied per table.
 * @throws RiposteError CONFIG_INVALID when the target is not empty (nothing is written then)
 */
export async function migrateManagerStore(
  sqliteFile: string,
  pgUrl: string,
  { extraSettings = {}, apiFile, renameSetting = (key) => key }: MigrateOptions = {},
): Promise<MigrateCounts> {
  await (await openPgManagerStore(pgUrl)).close();
  const source = new Database(sqliteFile, { readonly: true, fileMustExist: true });
  // A connection cut mid-copy fails the query in progress (a clear error): connectStore's client
  // ignores pg's 'error' event, which would otherwise end the process with a stack trace first.
  const client = await connectStore(pgUrl, { application_name: 'riposte migrate-store' });
  try {
    await client.query('BEGIN');
    await assertEmpty(client);
    const counts: MigrateCounts = {};
    for (const [table, columns] of TABLES) {
      let rows = source.prepare(`SELECT ${columns.join(', ')} FROM ${table}`).all() as Record<
        string,
        unknown
      >[];
      if (table === 'settings') {
        rows = renamedSettings(rows, renameSetting);
        rows.push(...missingSettings(rows, extraSettings));
      }
      await insertRows(client, table, columns, rows);
      counts[table] = rows.length;
    }
    const seqs = source
      .prepare(
        `SELECT a.id AS agent_id, MAX(a.last_seq, COALESCE((SELECT MAX(seq) FROM orders o WHERE o.agent_id = a.id), 0)) AS last_seq
         FROM agents a`,
      )
      .all() as Record<string, unknown>[];
    await insertRows(client, 'order_seqs', ['agent_id', 'last_seq'], seqs);
    // The queue rows of the copied queued orders (PG migration 5: which orders are queued).
    await client.query(
      `INSERT INTO queued_orders (agent_id, seq, expires_at)
         SELECT agent_id, seq, expires_at FROM orders WHERE state = 'queued'`,
    );
    if (apiFile !== undefined) {
      await copyApiStore(client, apiFile, counts);
    }
    await client.query(
      `SELECT setval(pg_get_serial_sequence('executions', 'n'), COALESCE((SELECT MAX(n) FROM executions), 0) + 1, false)`,
    );
    await client.query('COMMIT');
    return counts;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
    source.close();
  }
}
