/**
 * The manager store's schema on PostgreSQL (pg-manager-store.ts), as versioned migrations recorded
 * in `riposte_manager_migrations`. Applied at open by {@link applyPgMigrations} under an advisory
 * lock, so several manager nodes opening the same database at once apply each migration once.
 * Version 1 is the whole of the SQLite store's migrations 1-4 (sqlite manager-migrations/): same
 * tables and columns, times as epoch ms in BIGINT, JSON records in JSONB, text keys in the "C"
 * collation so lists sort like SQLite's. Per-agent order seqs come from a counter row
 * (`order_seqs`), incremented with INSERT ... ON CONFLICT DO UPDATE ... RETURNING, so concurrent
 * nodes never assign the same seq. Version 2 adds the named counters (agent ids), the same way.
 * Version 8 adds the cluster's leases (`cluster_leases`, cluster/pg-lease.ts).
 */
import type pg from 'pg';
import { FAILED_STATUSES } from '../core/orders/manager-console-store.js';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';

export interface PgMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** The failed-outcome condition, as the partial indexes and the console's queries spell it. */
export const PG_FAILED_SQL = `(record->>'status') IN (${FAILED_STATUSES.map((s) => `'${s}'`).join(', ')})`;

/**
 * Version 2: named counters, first `agent_id` (pg-manager-agents.ts nextAgentId): a row updated in
 * place (INSERT ... ON CONFLICT DO UPDATE ... RETURNING), so two nodes enrolling at the same moment
 * get distinct ids (the second waits for the first's row lock), where MAX(id) + 1 gave both the same.
 */
const AGENT_ID_COUNTER_TABLE = `
CREATE TABLE counters (
  name  TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  value BIGINT NOT NULL
);
`;

/**
 * Version 3: the REST API's tokens (hashes only) and audit trail (pg-api-store.ts), the same
 * columns as the SQLite `<home>/var/api.db` (sqlite-api-tokens.ts): shared, so a token created on
 * one node works on every node and the audit rows of every node are in one place.
 */
const API_TABLES = `
CREATE TABLE api_tokens (
  id           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  name         TEXT   NOT NULL,
  role         TEXT   NOT NULL CHECK (role IN ('read', 'operator', 'admin')),
  secret_hash  TEXT   NOT NULL,
  created_at   BIGINT NOT NULL,
  expires_at   BIGINT,
  last_used_at BIGINT
);
CREATE TABLE audit_log (
  seq        BIGSERIAL PRIMARY KEY,
  at         BIGINT  NOT NULL,
  token_id   TEXT,
  token_name TEXT,
  role       TEXT,
  method     TEXT    NOT NULL,
  path       TEXT    NOT NULL,
  status     INTEGER NOT NULL,
  agents     TEXT,
  remote     TEXT
);
`;

/** Orders' heap fillfactor (version 5): room for the ack's and the execution report's HOT updates. */
const ORDERS_FILLFACTOR = 50;
/**
 * The seq counters' heap fillfactor (version 6): every enqueue rewrites the counter row of each of
 * its agents, a 40-byte row; at 20 its page keeps room for the new versions until pruning frees
 * the old ones, so the bump is a HOT update (no index entry).
 */
const ORDER_SEQS_FILLFACTOR = 20;
/** Agents' heap fillfactor (version 6): room for the last-seen writes' HOT updates. */
const AGENTS_FILLFACTOR = 50;

export const PG_MANAGER_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'manager-init',
    sql: `
CREATE TABLE agents (
  id            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  name          TEXT     NOT NULL,
  fingerprint   TEXT     NOT NULL UNIQUE,
  registered_at BIGINT   NOT NULL,
  removed_at    BIGINT,
  last_seen     BIGINT,
  version       TEXT,
  address       TEXT,
  ar_disabled   SMALLINT NOT NULL DEFAULT 0
);
CREATE TABLE enroll_tokens (
  hash       TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  name       TEXT   NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_at    BIGINT
);
CREATE TABLE order_seqs (
  agent_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  last_seq BIGINT NOT NULL
);
CREATE TABLE orders (
  agent_id     TEXT COLLATE "C" NOT NULL,
  seq          BIGINT NOT NULL,
  kind         TEXT   NOT NULL,
  source       TEXT   NOT NULL,
  ar_name      TEXT,
  key          TEXT COLLATE "C",
  alert_id     TEXT,
  payload      TEXT   NOT NULL,
  state        TEXT   NOT NULL,
  created_at   BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL,
  delivered_at BIGINT,
  executed_at  BIGINT,
  reverted_at  BIGINT,
  expired_at   BIGINT,
  outcome      TEXT,
  execution_id BIGINT,
  note         TEXT,
  PRIMARY KEY (agent_id, seq)
);
CREATE INDEX orders_by_state ON orders (state, expires_at);
CREATE INDEX orders_by_key ON orders (agent_id, key);
CREATE INDEX orders_by_created ON orders (created_at);
CREATE TABLE executions (
  n           BIGSERIAL PRIMARY KEY,
  agent_id    TEXT COLLATE "C" NOT NULL,
  id          BIGINT NOT NULL,
  order_seq   BIGINT,
  received_at BIGINT NOT NULL,
  record      JSONB  NOT NULL,
  UNIQUE (agent_id, id)
);
CREATE INDEX executions_by_received ON executions (received_at);
CREATE INDEX executions_failed ON executions (n) WHERE ${PG_FAILED_SQL};
CREATE INDEX executions_failed_by_agent ON executions (agent_id, n) WHERE ${PG_FAILED_SQL};
CREATE TABLE active (
  agent_id    TEXT COLLATE "C" NOT NULL,
  key         TEXT COLLATE "C" NOT NULL,
  reported_at BIGINT NOT NULL,
  record      JSONB  NOT NULL,
  PRIMARY KEY (agent_id, key)
);
CREATE TABLE settings (
  key   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  value TEXT NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'manager-counters',
    sql: AGENT_ID_COUNTER_TABLE,
  },
  {
    version: 3,
    name: 'api-tokens-audit',
    sql: API_TABLES,
  },
  {
    // Enrollment at scale: the duplicate-name check and nextAgentId's highest id are index lookups
    // (SQLite: migration 0006).
    version: 4,
    name: 'agent-lookups',
    sql: `
CREATE INDEX agents_by_lower_name ON agents (lower(name)) WHERE removed_at IS NULL;
CREATE INDEX agents_by_numeric_id ON agents ((id::bigint));
`,
  },
  {
    // The ack is a HOT update (no index entry written, the new row version on the same page): no
    // index holds `state` or `delivered_at` any more. Which orders are queued is kept in a narrow
    // table of their own, a row per queued order written by the statement that enqueues it and
    // deleted by the one that moves the order out of `queued` (pg-manager-bulk.ts); expiry reads
    // it by expiry time, a hello or the sweep by agent. Before, every ack (and every execution
    // report) wrote a new version of the wide order row with four index entries, and the planner,
    // with `state = 'queued'` estimated from stale statistics, read the ack's rows through
    // orders_by_state, i.e. every queued order per ack batch. Orders' pages keep half of each page
    // free (fillfactor ORDERS_FILLFACTOR = 50) so the ack's and the report's new versions fit beside
    // the old one (80 was measured too: an ack batch updates whole pages in one transaction).
    version: 5,
    name: 'queued-orders',
    sql: `
CREATE TABLE queued_orders (
  agent_id   TEXT COLLATE "C" NOT NULL,
  seq        BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (agent_id, seq)
);
CREATE INDEX queued_orders_by_expiry ON queued_orders (expires_at);
INSERT INTO queued_orders (agent_id, seq, expires_at)
  SELECT agent_id, seq, expires_at FROM orders WHERE state = 'queued';
DROP INDEX orders_by_state;
ALTER TABLE orders SET (fillfactor = ${ORDERS_FILLFACTOR});
`,
  },
  {
    // HOT updates for the two per-agent rows rewritten all the time: the seq counter (order_seqs,
    // bumped by every enqueue, once per agent of the batch) and the agent's last-seen columns. At
    // the default fillfactor (100) their pages were full, so most updates wrote a new row version on
    // another page and a new primary-key entry, and the index grew with dead entries: measured with
    // 30,000 orders of 5,000 agents per round, 18 % of the counter bumps were HOT, the counters' heap
    // grew to 5.5 MB (1.1 MB at 20), and the enqueue cost PostgreSQL 36-43 µs of CPU per order
    // against 29-33 at fillfactor 20 (100 % HOT). No index holds a column these updates write
    // (agents_by_lower_name's predicate reads removed_at, not last_seen). CLUSTER rewrites both
    // tables, so their existing pages get the room too (a short exclusive lock on small tables;
    // VACUUM FULL cannot run in the migration's transaction); SET WITHOUT CLUSTER then forgets the
    // index it used.
    version: 6,
    name: 'per-agent-hot-updates',
    sql: `
ALTER TABLE order_seqs SET (fillfactor = ${ORDER_SEQS_FILLFACTOR});
ALTER TABLE agents SET (fillfactor = ${AGENTS_FILLFACTOR});
CLUSTER order_seqs USING order_seqs_pkey;
CLUSTER agents USING agents_pkey;
ALTER TABLE order_seqs SET WITHOUT CLUSTER;
ALTER TABLE agents SET WITHOUT CLUSTER;
`,
  },
  {
    // The audit trail is pruned by age (core/audit-retention.ts): its oldest entries are found by
    // time, not by scanning the table from its first row (SQLite's api.db: sqlite-api-tokens.ts).
    version: 7,
    name: 'audit-by-time',
    sql: `
CREATE INDEX audit_log_by_at ON audit_log (at);
`,
  },
  {
    // The cluster's timers' lease (cluster/pg-lease.ts): one row per lease, held by `holder` until
    // `expires_at`, by the database's clock. It replaces a session-level advisory lock, which a
    // stopped (SIGSTOP) node kept with its session.
    version: 8,
    name: 'cluster-leases',
    sql: `
CREATE TABLE cluster_leases (
  name       TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  holder     TEXT        NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL
);
`,
  },
];

/** Advisory lock key of the manager store's migrations ("rpmigrat" in ASCII as a number). */
export const MIGRATION_LOCK_KEY = '8246211217189921140';

/**
 * Brings the database (in the connection's search_path) to the newest schema; returns the versions
 * applied. Holds the advisory lock for the whole run; each migration commits with its version row.
 * @throws RiposteError INTERNAL when the database was migrated by a newer Riposte
 */
export async function applyPgMigrations(
  client: pg.ClientBase,
  migrations: readonly PgMigration[] = PG_MANAGER_MIGRATIONS,
): Promise<number[]> {
  await client.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
  try {
    await client.query(
      `CREATE TABLE IF NOT EXISTS riposte_manager_migrations (
         version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`,
    );
    const done = await client.query<{ v: number | null }>(
      'SELECT MAX(version) AS v FROM riposte_manager_migrations',
    );
    const current = done.rows[0]?.v ?? 0;
    if (current > migrations.length) {
      throw new RiposteError(
        ErrorCode.INTERNAL,
        `PostgreSQL manager store: schema version ${current} is newer than this Riposte (${migrations.length})`,
      );
    }
    const applied: number[] = [];
    for (const m of migrations.slice(current)) {
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query(
          'INSERT INTO riposte_manager_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
          [m.version, m.name, Date.now()],
        );
        await client.query('COMMIT');
      } catch (err: unknown) {
        await client.query('ROLLBACK');
        throw err;
      }
      applied.push(m.version);
    }
    return applied;
  } finally {
    await client.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
  }
}
