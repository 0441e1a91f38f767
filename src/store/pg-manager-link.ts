/**
 * The manager store's link-path reads and writes on PostgreSQL, many agents per statement: a node
 * applies the frames of hundreds of agents at once (acks after a fan-out, hellos after a failover),
 * so one `getOrdersOf`, `queuedOrdersOf`, `lastExecutionIds` or `updateAgentsSeen` replaces a
 * round trip per agent (and `activeKeysOf` for their active-list reconciles). Each returns what the per-agent method called for each agent would
 * (test/contract/manager-store-link.contract.ts, both adapters).
 */
import {
  mergeSeen,
  type AgentRecord,
  type AgentSeen,
  type AgentSeenOf,
  type OrderKey,
  type StoredOrder,
} from '../core/orders/manager-store.js';
import { ORDER_COLUMNS, PgManagerBulk } from './pg-manager-bulk.js';
import { nul } from './sqlite-rows.js';
import { rowToAgent, rowToOrder, type AgentRow, type OrderRow } from './sqlite-manager-rows.js';

/** Advisory lock namespace of agent names (pg_advisory_xact_lock(key, hashtext(lower(name)))). */
const AGENT_NAME_LOCK = 0x52_41_4e; // "RAN"

export abstract class PgManagerLink extends PgManagerBulk {
  /**
   * One UPDATE ... FROM unnest(...). The rows are locked first in agent-id order (FOR UPDATE under
   * ORDER BY), so two of these (two nodes, or a hello's and the background writer's) that share
   * agents wait for each other instead of deadlocking.
   */
  async updateAgentsSeen(list: readonly AgentSeenOf[]): Promise<void> {
    const merged = new Map<string, AgentSeen>();
    for (const { id, seen } of list) {
      const before = merged.get(id);
      merged.set(id, before === undefined ? seen : mergeSeen(before, seen));
    }
    if (merged.size === 0) {
      return;
    }
    const ids = [...merged.keys()];
    const seen = [...merged.values()];
    await this.run(
      `WITH locked AS (SELECT id FROM agents WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE)
       UPDATE agents a SET last_seen = u.last_seen, version = COALESCE(u.version, a.version),
           address = COALESCE(u.address, a.address), ar_disabled = COALESCE(u.ar_disabled, a.ar_disabled)
         FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::int[])
             AS u(id, last_seen, version, address, ar_disabled), locked l
         WHERE a.id = u.id AND l.id = u.id`,
      [
        ids,
        seen.map((s) => s.lastSeen),
        seen.map((s) => nul(s.version)),
        seen.map((s) => nul(s.address)),
        seen.map((s) => (s.arDisabled === undefined ? null : s.arDisabled ? 1 : 0)),
      ],
      'riposte_agents_seen',
    );
  }

  /**
   * Inside a transaction, first takes the name's advisory lock, held until it ends: a separate
   * statement, so the select's snapshot is taken after the lock is granted and sees a rival's commit.
   * Outside one, a plain read (an early check; enrollment checks again in its transaction).
   */
  async activeAgentNamed(name: string): Promise<AgentRecord | undefined> {
    if (this.inTransaction()) {
      await this.run('SELECT pg_advisory_xact_lock($1, hashtext(lower($2)))', [AGENT_NAME_LOCK, name]);
    }
    const r = await this.rows<AgentRow>(
      'SELECT * FROM agents WHERE lower(name) = lower($1) AND removed_at IS NULL LIMIT 1',
      [name],
    );
    return r[0] && rowToAgent(r[0]);
  }

  async getOrdersOf(keys: readonly OrderKey[]): Promise<StoredOrder[]> {
    const unique = new Map(keys.map((k) => [`${k.agentId}\u0000${k.seq}`, k]));
    if (unique.size === 0) {
      return [];
    }
    const list = [...unique.values()];
    const rows = await this.rows<OrderRow>(
      `SELECT ${ORDER_COLUMNS} FROM orders
         WHERE (agent_id, seq) IN (SELECT * FROM unnest($1::text[], $2::bigint[]))
         ORDER BY agent_id, seq`,
      [list.map((k) => k.agentId), list.map((k) => k.seq)],
      'riposte_orders_of',
    );
    return rows.map(rowToOrder);
  }

  async queuedOrdersOf(agentIds: readonly string[], createdBefore?: number): Promise<StoredOrder[]> {
    if (agentIds.length === 0) {
      return [];
    }
    // Through the agents' queue rows (`queued_orders`), not every order they ever had: per agent, its
    // queue rows by primary key, then each order by primary key. Each lateral subquery is fenced
    // (OFFSET 0), so it is planned alone with its outer values as parameters and cannot be flattened
    // into one join: with the ANY(...) form, and the statistics of a table a burst has just filled,
    // the planner read every queued order (the sweep of 200 agents: 7.6 ms for none at 30,000).
    const rows = await this.rows<OrderRow>(
      `SELECT o.* FROM unnest($1::text[]) AS a(id)
         CROSS JOIN LATERAL (SELECT q.seq FROM queued_orders q WHERE q.agent_id = a.id OFFSET 0) q
         CROSS JOIN LATERAL (
           SELECT ${ORDER_COLUMNS} FROM orders
             WHERE agent_id = a.id AND seq = q.seq AND state = 'queued' AND ($2::bigint IS NULL OR created_at < $2)
             OFFSET 0
         ) o
       ORDER BY o.agent_id, o.seq`,
      [[...new Set(agentIds)], nul(createdBefore)],
      'riposte_queued_orders_of',
    );
    return rows.map(rowToOrder);
  }

  /**
   * One number per agent of `agentIds`, in their order (0 for an agent without a row): `sql` takes
   * the distinct ids as $1 and returns rows (agent_id, n).
   */
  private async numberPerAgent(sql: string, agentIds: readonly string[]): Promise<number[]> {
    if (agentIds.length === 0) {
      return [];
    }
    const rows = await this.rows<{ agent_id: string; n: number }>(sql, [[...new Set(agentIds)]]);
    const byAgent = new Map(rows.map((r) => [r.agent_id, r.n]));
    return agentIds.map((id) => byAgent.get(id) ?? 0);
  }

  /** The seq counters (order_seqs: bumped in the statement that inserts the orders). */
  lastOrderSeqs(agentIds: readonly string[]): Promise<number[]> {
    return this.numberPerAgent(
      'SELECT agent_id, last_seq AS n FROM order_seqs WHERE agent_id = ANY($1::text[])',
      agentIds,
    );
  }

  lastExecutionIds(agentIds: readonly string[]): Promise<number[]> {
    return this.numberPerAgent(
      'SELECT agent_id, MAX(id) AS n FROM executions WHERE agent_id = ANY($1::text[]) GROUP BY agent_id',
      agentIds,
    );
  }

  async activeKeysOf(agentIds: readonly string[]): Promise<{ agentId: string; key: string }[]> {
    if (agentIds.length === 0) {
      return [];
    }
    const rows = await this.rows<{ agent_id: string; key: string }>(
      'SELECT agent_id, key FROM active WHERE agent_id = ANY($1::text[]) ORDER BY agent_id, key',
      [[...new Set(agentIds)]],
    );
    return rows.map((r) => ({ agentId: r.agent_id, key: r.key }));
  }
}
