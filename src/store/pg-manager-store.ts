/**
 * The manager's durable store on PostgreSQL (`pg` pool), shared by several manager nodes: the same
 * ManagerStore port as sqlite-manager-store.ts, checked by the same contract suites. A method that
 * resolved has committed (outside a batch); `batch(fn)` is one transaction on one connection,
 * joined by every call made from fn's async context (pg-manager-base.ts). Per-agent order seqs come
 * from a counter row bumped with INSERT ... ON CONFLICT DO UPDATE ... RETURNING in the order's own
 * transaction: the row lock serialises concurrent enqueues of one agent, across nodes too, and a
 * rolled-back order gives its seq back. The schema is migrated at open (pg-manager-migrations.ts).
 *
 * Not part of this module: deciding transitions (core/orders) and minting ids or tokens.
 */
import pg from 'pg';
import type { ActiveResponse } from '../protocol/execution-records.js';
import {
  ORDER_STATES,
  type FleetActiveResponse,
  type FleetExecution,
  type OrderFilter,
  type OrderInfo,
  type OrderState,
} from '../protocol/fleet-records.js';
import {
  orderInfo,
  type ManagerStore,
  type NewOrder,
  type OrderUpdate,
  type PrunedHistory,
  type StoredOrder,
} from '../core/orders/manager-store.js';
import { connectionConfig, poolConfig, quoteIdent, type PgManagerOptions } from './pg-manager-base.js';
import { ORDER_COLUMNS, QUEUED_ORDER_COLUMNS } from './pg-manager-bulk.js';
import { PgManagerLink } from './pg-manager-link.js';
import { EXECUTION_COLUMNS } from './pg-manager-console.js';
import { applyPgMigrations } from './pg-manager-migrations.js';
import { connectStore } from './pg-connect.js';
import { pruneExecutionsSql, pruneOrdersSql } from './history-prune-sql.js';
import { pgJsonText, pgText } from './pg-text.js';
import { parseActiveRow, parseExecutionRow, rowToOrder, type OrderRow } from './sqlite-manager-rows.js';

export type { PgManagerOptions } from './pg-manager-base.js';

/**
 * CREATE SCHEMA IF NOT EXISTS, tolerating the race of several nodes creating it at once (both see
 * it missing; the loser gets a unique violation on pg_namespace although the schema now exists).
 */
export async function createSchema(client: pg.ClientBase, schema: string): Promise<void> {
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  } catch (err: unknown) {
    const code = (err as { code?: string }).code;
    if (code !== '23505' && code !== '42P06') {
      throw err;
    }
  }
}

/** A connection's error event, handled where it matters (see openMigratedPool). */
const ignoreError = (): void => undefined;

/**
 * A pool on the PostgreSQL at `url` whose schema (created when given and missing) has every
 * migration applied (under an advisory lock: several nodes may open one new database at once).
 * Shared by the manager store and the API store, whichever opens first migrates.
 * @throws when PostgreSQL cannot be reached or a migration fails (the pool is closed then)
 */
export async function openMigratedPool(url: string, opts: PgManagerOptions): Promise<pg.Pool> {
  const pool = new pg.Pool(poolConfig(url, opts));
  // A connection cut by the server (restart, network) must never end the process with an
  // unhandled 'error' event. While idle, pg-pool's own listener drops it and emits the error on
  // the pool (ignored here: the next query opens another). Every connection also gets a listener
  // of its own for its whole life, because pg-pool takes its listener off at checkout and a
  // promise-style connect() (PgManagerBase.transaction) adds its own only when its await resumes:
  // when the ReadyForQuery that frees a connection for a waiter and PostgreSQL's FATAL at shutdown
  // arrive in one socket read, the error is emitted in between. It is not lost: pg marks the
  // connection unusable, the holder's next query fails, and release() discards it.
  pool.on('error', ignoreError);
  pool.on('connect', (client) => client.on('error', ignoreError));
  try {
    // Migrations on a connection of their own: without the pool's statement limit (poolConfig).
    const client = await connectStore(url, connectionConfig(opts));
    try {
      if (opts.schema !== undefined) {
        await createSchema(client, opts.schema);
      }
      await applyPgMigrations(client);
    } finally {
      await client.end().catch(ignoreError);
    }
  } catch (err: unknown) {
    await pool.end();
    throw err;
  }
  return pool;
}

/**
 * Opens the manager store on the PostgreSQL at `url` (postgres://...), creating the schema when
 * given and missing, and applying pending migrations under an advisory lock.
 * @throws when PostgreSQL cannot be reached or a migration fails (the pool is closed then)
 */
export async function openPgManagerStore(url: string, opts: PgManagerOptions = {}): Promise<ManagerStore> {
  return new PgManagerOps(await openMigratedPool(url, opts));
}

class PgManagerOps extends PgManagerLink implements ManagerStore {
  async enqueueOrder(o: NewOrder): Promise<StoredOrder> {
    const [stored] = await this.enqueueOrders([o]);
    if (stored === undefined) {
      throw new Error('order insert returned no row');
    }
    return stored;
  }

  async getOrder(agentId: string, seq: number): Promise<StoredOrder | undefined> {
    const r = (
      await this.rows<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM orders WHERE agent_id = $1 AND seq = $2`, [
        agentId,
        seq,
      ])
    )[0];
    return r && rowToOrder(r);
  }

  private async orders(where: string, values: readonly unknown[], order: string): Promise<StoredOrder[]> {
    const rows = await this.rows<OrderRow>(
      `SELECT ${ORDER_COLUMNS} FROM orders WHERE ${where} ORDER BY ${order}`,
      values,
    );
    return rows.map(rowToOrder);
  }

  /** Through the agent's queue rows (`queued_orders`), not every order the agent ever had. */
  async queuedOrders(agentId: string): Promise<StoredOrder[]> {
    const rows = await this.rows<OrderRow>(
      `SELECT ${QUEUED_ORDER_COLUMNS} FROM queued_orders q JOIN orders o ON o.agent_id = q.agent_id AND o.seq = q.seq
         WHERE q.agent_id = $1 AND o.state = 'queued' ORDER BY o.seq`,
      [agentId],
    );
    return rows.map(rowToOrder);
  }

  /** updateOrders of one (the queue row goes with the state: pg-manager-bulk.ts). */
  updateOrder(agentId: string, seq: number, update: OrderUpdate): Promise<void> {
    return this.updateOrders([{ agentId, seq, update }]);
  }

  /** Through the queue rows (`queued_orders`) by expiry time: no scan of orders at rest. */
  async expirableOrders(now: number): Promise<StoredOrder[]> {
    const rows = await this.rows<OrderRow>(
      `SELECT ${QUEUED_ORDER_COLUMNS} FROM queued_orders q JOIN orders o ON o.agent_id = q.agent_id AND o.seq = q.seq
         WHERE q.expires_at < $1 AND o.state = 'queued' ORDER BY o.expires_at, o.agent_id, o.seq`,
      [now],
    );
    return rows.map(rowToOrder);
  }

  executedOrdersWithKey(agentId: string, key: string): Promise<StoredOrder[]> {
    return this.orders(
      "agent_id = $1 AND key = $2 AND kind = 'add' AND state = 'executed'",
      [agentId, key],
      'seq',
    );
  }

  executedKeyedOrders(agentId: string): Promise<StoredOrder[]> {
    return this.orders(
      "agent_id = $1 AND key IS NOT NULL AND kind = 'add' AND state = 'executed'",
      [agentId],
      'seq',
    );
  }

  async listOrders(f: OrderFilter): Promise<OrderInfo[]> {
    const where: string[] = [];
    const values: (string | number)[] = [];
    if (f.agentId !== undefined) {
      values.push(f.agentId);
      where.push(`agent_id = $${values.length}`);
    }
    if (f.state !== undefined) {
      values.push(f.state);
      where.push(`state = $${values.length}`);
    }
    values.push(f.limit ?? 100);
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const rows = await this.rows<OrderRow>(
      `SELECT ${ORDER_COLUMNS} FROM orders ${clause} ORDER BY created_at DESC, agent_id, seq DESC LIMIT $${values.length}`,
      values,
    );
    return rows.map((r) => orderInfo(rowToOrder(r)));
  }

  /** Two DELETEs (history-prune-sql.ts), each its own transaction: nothing ties them. */
  async pruneHistory(before: number, limit: number): Promise<PrunedHistory> {
    const count = async (sql: string): Promise<number> => {
      const r = await this.rows<{ n: number }>(
        `WITH d AS (${sql} RETURNING 1) SELECT count(*)::int AS n FROM d`,
        [before, limit],
      );
      return r[0]?.n ?? 0;
    };
    const p = (n: 1 | 2): string => `$${n}`;
    return { orders: await count(pruneOrdersSql(p)), executions: await count(pruneExecutionsSql(p)) };
  }

  async countOrdersByState(): Promise<Record<OrderState, number>> {
    const counts = Object.fromEntries(ORDER_STATES.map((s) => [s, 0])) as Record<OrderState, number>;
    const rows = await this.rows<{ state: OrderState; n: number }>(
      'SELECT state, COUNT(*) AS n FROM orders GROUP BY state',
    );
    for (const r of rows) {
      counts[r.state] = r.n;
    }
    return counts;
  }

  async recordExecution(e: FleetExecution): Promise<boolean> {
    return (await this.recordExecutions([e]))[0] === true;
  }

  async lastExecutionId(agentId: string): Promise<number> {
    const r = await this.rows<{ m: number | null }>(
      'SELECT MAX(id) AS m FROM executions WHERE agent_id = $1',
      [agentId],
    );
    return r[0]?.m ?? 0;
  }

  async listExecutions(f: { agentId?: string; limit: number }): Promise<FleetExecution[]> {
    const rows =
      f.agentId === undefined
        ? await this.rows<{ record: string; order_seq: number | null; received_at: number }>(
            `SELECT ${EXECUTION_COLUMNS} FROM executions ORDER BY n DESC LIMIT $1`,
            [f.limit],
          )
        : await this.rows<{ record: string; order_seq: number | null; received_at: number }>(
            `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE agent_id = $1 ORDER BY n DESC LIMIT $2`,
            [f.agentId, f.limit],
          );
    return rows.map(parseExecutionRow);
  }

  async putActive(a: ActiveResponse, reportedAt: number): Promise<void> {
    await this.run(
      `INSERT INTO active (agent_id, key, reported_at, record) VALUES ($1, $2, $3, $4)
         ON CONFLICT (agent_id, key) DO UPDATE SET reported_at = EXCLUDED.reported_at, record = EXCLUDED.record`,
      [a.agentId, a.key, reportedAt, pgJsonText(JSON.stringify(a))],
    );
  }

  async putActives(actives: readonly ActiveResponse[], reportedAt: number): Promise<void> {
    if (actives.length === 0) {
      return;
    }
    // One statement: the last of each key wins (as the same putActive calls would), since one
    // INSERT ... ON CONFLICT may not touch a row twice; keys as stored (two that differ only by
    // what pgText replaces are one row).
    const last = new Map<string, ActiveResponse>();
    for (const a of actives) {
      last.set(JSON.stringify([pgText(a.agentId), pgText(a.key)]), a);
    }
    const rows = [...last.values()];
    await this.run(
      `INSERT INTO active (agent_id, key, reported_at, record)
         SELECT a, k, $1::bigint, r::jsonb FROM unnest($2::text[], $3::text[], $4::text[]) AS t(a, k, r)
         ON CONFLICT (agent_id, key) DO UPDATE SET reported_at = EXCLUDED.reported_at, record = EXCLUDED.record`,
      [
        reportedAt,
        rows.map((a) => a.agentId),
        rows.map((a) => a.key),
        rows.map((a) => pgJsonText(JSON.stringify(a))),
      ],
    );
  }

  async removeActive(agentId: string, key: string): Promise<void> {
    await this.run('DELETE FROM active WHERE agent_id = $1 AND key = $2', [agentId, key]);
  }

  replaceActive(agentId: string, items: readonly ActiveResponse[], reportedAt: number): Promise<void> {
    return this.atomically(async () => {
      await this.run('DELETE FROM active WHERE agent_id = $1', [agentId]);
      await this.putActives(
        items.map((a) => ({ ...a, agentId })),
        reportedAt,
      );
    });
  }

  async listActive(agentId?: string): Promise<FleetActiveResponse[]> {
    const rows =
      agentId === undefined
        ? await this.rows<{ record: string; reported_at: number }>(
            'SELECT record::text AS record, reported_at FROM active ORDER BY agent_id, key',
          )
        : await this.rows<{ record: string; reported_at: number }>(
            'SELECT record::text AS record, reported_at FROM active WHERE agent_id = $1 ORDER BY key',
            [agentId],
          );
    return rows.map(parseActiveRow);
  }

  async countActive(): Promise<number> {
    return (await this.rows<{ n: number }>('SELECT COUNT(*) AS n FROM active'))[0]?.n ?? 0;
  }
}
