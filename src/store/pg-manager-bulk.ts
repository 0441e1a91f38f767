/**
 * The manager store's bulk methods on PostgreSQL (enqueueOrders, getOrders, updateOrders, ackOrders,
 * recordExecutions): one statement each over unnest(...) arrays, so
 * a run of 500 reports costs a few round trips, not 1,500. Each stores what the one-at-a-time
 * methods called in the same order would (test/contract/manager-store-bulk.contract.ts).
 */
import type { FleetExecution } from '../protocol/fleet-records.js';
import type {
  AckedOrder,
  NewOrder,
  OrderKey,
  OrderUpdate,
  OrderUpdateOf,
  StoredOrder,
} from '../core/orders/manager-store.js';
import { PgManagerAgents } from './pg-manager-agents.js';
import { nul } from './sqlite-rows.js';
import { pgJsonText, pgText } from './pg-text.js';
import { UPDATE_COLUMNS, queuedOrder, rowToOrder, type OrderRow } from './sqlite-manager-rows.js';

export const ORDER_COLUMNS =
  'agent_id, seq, kind, source, ar_name, key, alert_id, payload, state, created_at, expires_at, ' +
  'delivered_at, executed_at, reverted_at, expired_at, outcome, execution_id, note';

/** ORDER_COLUMNS of `orders o`, for reads joining the queue rows (`queued_orders q`). */
export const QUEUED_ORDER_COLUMNS = ORDER_COLUMNS.split(', ')
  .map((c) => `o.${c}`)
  .join(', ');

/** PostgreSQL array type of each updatable order column (updateOrders). */
const PG_UPDATE_TYPES: Readonly<Record<(typeof UPDATE_COLUMNS)[number][0], string>> = {
  state: 'text',
  deliveredAt: 'bigint',
  executedAt: 'bigint',
  revertedAt: 'bigint',
  expiredAt: 'bigint',
  outcome: 'text',
  executionId: 'bigint',
  key: 'text',
  note: 'text',
};

/** `v` as PostgreSQL's text holds it (pgText), or null. */
function storable(v: string | undefined): string | null {
  return v === undefined ? null : pgText(v);
}

/** `u` without its undefined fields (a merge must not erase an earlier value). */
function defined(u: OrderUpdate): Partial<OrderUpdate> {
  return Object.fromEntries(Object.entries(u).filter(([, v]) => v !== undefined));
}

/** The stored JSON of an execution record (without its order seq and receipt time, which are columns). */
function executionJson(e: FleetExecution): string {
  return pgJsonText(
    JSON.stringify(e, (k, v: unknown) => (k === 'orderSeq' || k === 'receivedAt' ? undefined : v)),
  );
}

export abstract class PgManagerBulk extends PgManagerAgents {
  /**
   * ONE statement whatever the number of orders (a `location=all` fan-out to 5,000 agents, or 500
   * alerts of 500 agents, is one round trip): the counter bump of each agent, in agent-id order
   * (concurrent transactions take the seq-counter row locks in one order, so they cannot
   * deadlock), and the multi-row insert (unnest) numbered from those counters, in data-modifying
   * CTEs. The counter rows stay locked until the transaction commits, so each agent's seqs commit
   * in seq order across nodes; one statement (not two, and no rows sent back but the seqs) keeps
   * that lock as short as a round trip allows, which is what bounds concurrent ingest on several
   * nodes (their POSTs' orders share agents). The stored rows are what `queuedOrder` says.
   */
  async enqueueOrders(orders: readonly NewOrder[]): Promise<StoredOrder[]> {
    if (orders.length === 0) {
      return [];
    }
    // The rows go as ONE json parameter (JSON.stringify is native; pg's text[] serialisation
    // escapes every element in JS and cost more than the rest of an ingest on the node), read as
    // jsonb: parsed once, where each `->>` on a json value parses its row's text again (nine per
    // row): 20-29 ms against 26-48 ms per statement of 500 orders, measured alone.
    const input = JSON.stringify(
      orders.map((o) => [
        o.agentId,
        o.kind,
        o.source,
        storable(o.arName),
        storable(o.key),
        storable(o.alertId),
        storable(o.payload),
        o.createdAt,
        o.expiresAt,
      ]),
    );
    const rows = await this.rows<{ seq: number }>(
      `WITH input AS (
         SELECT r->>0 AS agent_id, r->>1 AS kind, r->>2 AS source, r->>3 AS ar_name, r->>4 AS key,
                r->>5 AS alert_id, r->>6 AS payload, (r->>7)::bigint AS created_at,
                (r->>8)::bigint AS expires_at, ord
           FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS u(r, ord)
       ), counts AS (
         SELECT agent_id, count(*) AS n FROM input GROUP BY agent_id
       ), bumped AS (
         INSERT INTO order_seqs (agent_id, last_seq)
           SELECT agent_id, n FROM counts ORDER BY agent_id COLLATE "C"
         ON CONFLICT (agent_id) DO UPDATE SET last_seq = order_seqs.last_seq + EXCLUDED.last_seq
         RETURNING agent_id, last_seq
       ), numbered AS (
         SELECT i.*, b.last_seq - c.n + row_number() OVER (PARTITION BY i.agent_id ORDER BY i.ord) AS seq
           FROM input i JOIN counts c ON c.agent_id = i.agent_id JOIN bumped b ON b.agent_id = i.agent_id
       ), inserted AS (
         INSERT INTO orders (agent_id, seq, kind, source, ar_name, key, alert_id, payload, state, created_at, expires_at)
           SELECT agent_id, seq, kind, source, ar_name, key, alert_id, payload, 'queued', created_at, expires_at
             FROM numbered
       ), queue AS (
         INSERT INTO queued_orders (agent_id, seq, expires_at) SELECT agent_id, seq, expires_at FROM numbered
       )
       SELECT seq FROM numbered ORDER BY ord`,
      [input],
      'riposte_enqueue_orders',
    );
    if (rows.length !== orders.length) {
      throw new Error('order insert returned no row');
    }
    return orders.map((o, i) => queuedOrder(o, rows[i]?.seq ?? 0));
  }

  async getOrders(agentId: string, seqs: readonly number[]): Promise<StoredOrder[]> {
    const rows = await this.rows<OrderRow>(
      `SELECT ${ORDER_COLUMNS} FROM orders WHERE agent_id = $1 AND seq = ANY($2::bigint[]) ORDER BY seq`,
      [agentId, [...seqs]],
    );
    return rows.map(rowToOrder);
  }

  /**
   * One statement for every update: UPDATE ... FROM unnest(...) (a column not given keeps its
   * value), and the queue rows (`queued_orders`, PG migration 5) of the orders it moved out of
   * `queued` deleted (of one moved back, inserted), in CTEs reading the UPDATE's RETURNING: the
   * order row is locked before its queue row, as in ackOrders, so the two cannot deadlock. Updates
   * of one order are merged first (in order: the later wins), as one statement touches a row once.
   */
  async updateOrders(updates: readonly OrderUpdateOf[]): Promise<void> {
    const merged = new Map<string, OrderUpdateOf>();
    for (const u of updates) {
      const id = `${u.agentId}\u0000${u.seq}`;
      const before = merged.get(id);
      merged.set(id, before === undefined ? u : { ...u, update: { ...before.update, ...defined(u.update) } });
    }
    const list = [...merged.values()];
    if (list.length === 0) {
      return;
    }
    const sets = UPDATE_COLUMNS.map(([, column]) => `${column} = COALESCE(u.${column}, o.${column})`);
    const columns = UPDATE_COLUMNS.map(([, column]) => column).join(', ');
    const arrays = UPDATE_COLUMNS.map(([field], i) => `$${i + 4}::${PG_UPDATE_TYPES[field]}[]`).join(', ');
    await this.run(
      `WITH moved AS (
         UPDATE orders o SET state = u.state, ${sets.join(', ')}
           FROM unnest($1::text[], $2::bigint[], $3::text[], ${arrays}) AS u(agent_id, seq, state, ${columns})
           WHERE o.agent_id = u.agent_id AND o.seq = u.seq
           RETURNING o.agent_id, o.seq, o.state, o.expires_at
       ), requeued AS (
         INSERT INTO queued_orders (agent_id, seq, expires_at)
           SELECT agent_id, seq, expires_at FROM moved WHERE state = 'queued'
         ON CONFLICT (agent_id, seq) DO NOTHING
       )
       DELETE FROM queued_orders q USING moved m
         WHERE q.agent_id = m.agent_id AND q.seq = m.seq AND m.state <> 'queued'`,
      [
        list.map((u) => u.agentId),
        list.map((u) => u.seq),
        list.map((u) => u.update.state),
        ...UPDATE_COLUMNS.map(([field]) => list.map((u) => nul(u.update[field]))),
      ],
      'riposte_update_orders',
    );
  }

  ackOrders(keys: readonly OrderKey[], at: number): Promise<AckedOrder[]> {
    return this.moveQueued(keys, at, 'delivered');
  }

  async expireOrders(keys: readonly OrderKey[], at: number): Promise<OrderKey[]> {
    return (await this.moveQueued(keys, at, 'expired')).map(({ agentId, seq }) => ({ agentId, seq }));
  }

  /**
   * One statement: UPDATE ... FROM unnest(...) WHERE state = 'queued' RETURNING the moved orders
   * (no read of the orders first, two columns written), and their queue rows deleted in a CTE
   * reading that RETURNING. Neither written column is indexed, so the update is HOT; the order
   * rows are found by primary key (no index holds `state`), never by scanning the queued ones.
   * The `state = 'queued'` condition is what makes an ack and an expiry race safely (several nodes).
   */
  private async moveQueued(
    keys: readonly OrderKey[],
    at: number,
    to: 'delivered' | 'expired',
  ): Promise<AckedOrder[]> {
    if (keys.length === 0) {
      return [];
    }
    const rows = await this.rows<{ agent_id: string; seq: number; created_at: number }>(
      `WITH moved AS (
         UPDATE orders o SET state = '${to}', ${to}_at = $3
           FROM (SELECT DISTINCT agent_id, seq FROM unnest($1::text[], $2::bigint[]) AS k(agent_id, seq)) u
           WHERE o.agent_id = u.agent_id AND o.seq = u.seq AND o.state = 'queued'
           RETURNING o.agent_id, o.seq, o.created_at
       ), dequeued AS (
         DELETE FROM queued_orders q USING moved m WHERE q.agent_id = m.agent_id AND q.seq = m.seq
       )
       SELECT agent_id, seq, created_at FROM moved`,
      [keys.map((k) => k.agentId), keys.map((k) => k.seq), at],
      to === 'delivered' ? 'riposte_ack_orders' : 'riposte_expire_orders',
    );
    return rows.map((r) => ({ agentId: r.agent_id, seq: r.seq, createdAt: r.created_at }));
  }

  /** One INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING, in the given order. */
  async recordExecutions(execs: readonly FleetExecution[]): Promise<boolean[]> {
    if (execs.length === 0) {
      return [];
    }
    const rows = await this.rows<{ agent_id: string; id: number }>(
      `INSERT INTO executions (agent_id, id, order_seq, received_at, record)
         SELECT u.agent_id, u.id, u.order_seq, u.received_at, u.record
           FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::jsonb[])
             WITH ORDINALITY AS u(agent_id, id, order_seq, received_at, record, ord)
           ORDER BY u.ord
         ON CONFLICT (agent_id, id) DO NOTHING RETURNING agent_id, id`,
      [
        execs.map((e) => e.agentId),
        execs.map((e) => e.id),
        execs.map((e) => nul(e.orderSeq)),
        execs.map((e) => e.receivedAt),
        execs.map(executionJson),
      ],
      'riposte_record_executions',
    );
    const inserted = new Set(rows.map((r) => `${r.agent_id}\u0000${r.id}`));
    return execs.map((e) => inserted.delete(`${e.agentId}\u0000${e.id}`));
  }
}
