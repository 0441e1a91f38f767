/**
 * The manager store's bulk methods on PostgreSQL (enqueueOrders, getOrders, updateOrders,
 * recordExecutions): one statement each over unnest(...) arrays (two for enqueueOrders), so
 * a run of 500 reports costs a few round trips, not 1,500. Each stores what the one-at-a-time
 * methods called in the same order would (test/contract/manager-store-bulk.contract.ts).
 */
import type { FleetExecution } from '../protocol/fleet-records.js';
import type { NewOrder, OrderUpdate, OrderUpdateOf, StoredOrder } from '../core/orders/manager-store.js';
import { PgManagerAgents } from './pg-manager-agents.js';
import { nul } from './sqlite-rows.js';
import { UPDATE_COLUMNS, rowToOrder, type OrderRow } from './sqlite-manager-rows.js';

export const ORDER_COLUMNS =
  'agent_id, seq, kind, source, ar_name, key, alert_id, payload, state, created_at, expires_at, ' +
  'delivered_at, executed_at, reverted_at, expired_at, outcome, execution_id, note';

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

/** `u` without its undefined fields (a merge must not erase an earlier value). */
function defined(u: OrderUpdate): Partial<OrderUpdate> {
  return Object.fromEntries(Object.entries(u).filter(([, v]) => v !== undefined));
}

/** The stored JSON of an execution record (without its order seq and receipt time, which are columns). */
function executionJson(e: FleetExecution): string {
  return JSON.stringify(e, (k, v: unknown) => (k === 'orderSeq' || k === 'receivedAt' ? undefined : v));
}

export abstract class PgManagerBulk extends PgManagerAgents {
  /**
   * Two statements whatever the number of agents (a `location=all` fan-out to 5,000 agents, or 500
   * alerts of 500 agents, is not 10,000 round trips): one counter bump per agent, in agent-id order
   * (concurrent transactions take the seq-counter row locks in one order, so they cannot
   * deadlock), then one multi-row insert (unnest), in one transaction.
   */
  enqueueOrders(orders: readonly NewOrder[]): Promise<StoredOrder[]> {
    if (orders.length === 0) {
      return Promise.resolve([]);
    }
    return this.atomically(async () => {
      const counts = new Map<string, number>();
      for (const o of orders) {
        counts.set(o.agentId, (counts.get(o.agentId) ?? 0) + 1);
      }
      const agents = [...counts.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const bumped = await this.rows<{ agent_id: string; seq: number }>(
        `INSERT INTO order_seqs (agent_id, last_seq)
           SELECT u.agent_id, u.n FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS u(agent_id, n, ord)
           ORDER BY u.ord
         ON CONFLICT (agent_id) DO UPDATE SET last_seq = order_seqs.last_seq + EXCLUDED.last_seq
         RETURNING agent_id, last_seq AS seq`,
        [agents, agents.map((a) => counts.get(a) ?? 0)],
      );
      // Next seq of each agent: the first of its block, then one more per order, in the given order.
      const next = new Map(bumped.map((r) => [r.agent_id, r.seq - (counts.get(r.agent_id) ?? 0) + 1]));
      const seqs = orders.map((o) => {
        const seq = next.get(o.agentId);
        if (seq === undefined) {
          throw new Error('order seq counter returned no row');
        }
        next.set(o.agentId, seq + 1);
        return seq;
      });
      const rows = await this.rows<OrderRow>(
        `INSERT INTO orders (agent_id, seq, kind, source, ar_name, key, alert_id, payload, state, created_at, expires_at)
           SELECT u.agent_id, u.seq, u.kind, u.source, u.ar_name, u.key, u.alert_id, u.payload, 'queued', u.created_at, u.expires_at
             FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                         $8::text[], $9::bigint[], $10::bigint[])
               AS u(agent_id, seq, kind, source, ar_name, key, alert_id, payload, created_at, expires_at)
           RETURNING ${ORDER_COLUMNS}`,
        [
          orders.map((o) => o.agentId),
          seqs,
          orders.map((o) => o.kind),
          orders.map((o) => o.source),
          orders.map((o) => nul(o.arName)),
          orders.map((o) => nul(o.key)),
          orders.map((o) => nul(o.alertId)),
          orders.map((o) => o.payload),
          orders.map((o) => o.createdAt),
          orders.map((o) => o.expiresAt),
        ],
      );
      const stored = new Map(rows.map((r) => [`${r.agent_id}\u0000${r.seq}`, rowToOrder(r)]));
      return orders.map((o, i) => {
        const order = stored.get(`${o.agentId}\u0000${seqs[i] ?? 0}`);
        if (order === undefined) {
          throw new Error('order insert returned no row');
        }
        return order;
      });
    });
  }

  async getOrders(agentId: string, seqs: readonly number[]): Promise<StoredOrder[]> {
    const rows = await this.rows<OrderRow>(
      `SELECT ${ORDER_COLUMNS} FROM orders WHERE agent_id = $1 AND seq = ANY($2::bigint[]) ORDER BY seq`,
      [agentId, [...seqs]],
    );
    return rows.map(rowToOrder);
  }

  /**
   * One UPDATE ... FROM unnest(...) for every update; a column not given keeps its value. Updates
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
      `UPDATE orders o SET state = u.state, ${sets.join(', ')}
         FROM unnest($1::text[], $2::bigint[], $3::text[], ${arrays}) AS u(agent_id, seq, state, ${columns})
         WHERE o.agent_id = u.agent_id AND o.seq = u.seq`,
      [
        list.map((u) => u.agentId),
        list.map((u) => u.seq),
        list.map((u) => u.update.state),
        ...UPDATE_COLUMNS.map(([field]) => list.map((u) => nul(u.update[field]))),
      ],
    );
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
    );
    const inserted = new Set(rows.map((r) => `${r.agent_id}\u0000${r.id}`));
    return execs.map((e) => inserted.delete(`${e.agentId}\u0000${e.id}`));
  }
}
