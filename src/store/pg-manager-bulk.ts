/**
 * The manager store's bulk methods on PostgreSQL (enqueueOrders, getOrders, updateOrders,
 * recordExecutions): one statement each over unnest(...) arrays (per agent for enqueueOrders), so
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
  /** Per agent: one counter bump of n and one multi-row insert (unnest), in one transaction. */
  enqueueOrders(orders: readonly NewOrder[]): Promise<StoredOrder[]> {
    return this.atomically(async () => {
      const byAgent = new Map<string, number[]>();
      orders.forEach((o, i) => {
        const list = byAgent.get(o.agentId);
        if (list === undefined) {
          byAgent.set(o.agentId, [i]);
        } else {
          list.push(i);
        }
      });
      const out: StoredOrder[] = [];
      // Agents in id order: concurrent transactions take the seq-counter row locks in one order.
      for (const [agentId, indexes] of [...byAgent].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const stored = await this.insertOrders(
          agentId,
          indexes.flatMap((i) => orders[i] ?? []),
        );
        indexes.forEach((i, j) => {
          out[i] = stored[j] as StoredOrder;
        });
      }
      return out;
    });
  }

  /** Inserts one agent's orders with its next seqs, in the given order; returns them in that order. */
  private async insertOrders(agentId: string, list: readonly NewOrder[]): Promise<StoredOrder[]> {
    const counter = await this.rows<{ seq: number }>(
      `INSERT INTO order_seqs (agent_id, last_seq) VALUES ($1, $2::bigint)
         ON CONFLICT (agent_id) DO UPDATE SET last_seq = order_seqs.last_seq + $2::bigint RETURNING last_seq AS seq`,
      [agentId, list.length],
    );
    const last = counter[0]?.seq;
    if (last === undefined) {
      throw new Error('order seq counter returned no row');
    }
    const first = last - list.length + 1;
    const rows = await this.rows<OrderRow>(
      `INSERT INTO orders (agent_id, seq, kind, source, ar_name, key, alert_id, payload, state, created_at, expires_at)
         SELECT $1, u.seq, u.kind, u.source, u.ar_name, u.key, u.alert_id, u.payload, 'queued', u.created_at, u.expires_at
           FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                       $9::bigint[], $10::bigint[])
             AS u(seq, kind, source, ar_name, key, alert_id, payload, created_at, expires_at)
         RETURNING ${ORDER_COLUMNS}`,
      [
        agentId,
        list.map((_, j) => first + j),
        list.map((o) => o.kind),
        list.map((o) => o.source),
        list.map((o) => nul(o.arName)),
        list.map((o) => nul(o.key)),
        list.map((o) => nul(o.alertId)),
        list.map((o) => o.payload),
        list.map((o) => o.createdAt),
        list.map((o) => o.expiresAt),
      ],
    );
    const bySeq = new Map(rows.map((r) => [r.seq, rowToOrder(r)]));
    return list.map((_, j) => {
      const o = bySeq.get(first + j);
      if (o === undefined) {
        throw new Error('order insert returned no row');
      }
      return o;
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
