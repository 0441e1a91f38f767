/**
 * The manager's durable store on SQLite (better-sqlite3), at `<home>/var/manager.db`. Same
 * durability contract as the agent store: a method that resolved has committed (WAL,
 * synchronous=NORMAL), so a crash or kill -9 of the manager loses no order. The statements are
 * synchronous; manager-store-gate.ts serves them as the async port and runs `batch`.
 *
 * Not part of this module: deciding transitions (core/orders) and minting ids or tokens.
 */
import Database from 'better-sqlite3';
import type { ActiveResponse } from '../protocol/execution-records.js';
import { ORDER_STATES, type OrderState } from '../protocol/fleet-records.js';
import type {
  FleetActiveResponse,
  FleetExecution,
  OrderFilter,
  OrderInfo,
} from '../protocol/fleet-records.js';
import type {
  AgentPresence,
  AgentRecord,
  AgentSeen,
  AgentSeenOf,
  ManagerStore,
  NewOrder,
  OrderKey,
  OrderUpdate,
  StoredOrder,
  EnrollTokenRow,
  TokenUse,
} from '../core/orders/manager-store.js';
import { MANAGER_MIGRATIONS } from './manager-migrations/index.js';
import { SqliteManagerBulk } from './sqlite-manager-bulk.js';
import { gatedManagerStore, type SyncManagerStore } from './manager-store-gate.js';
import { applyMigrations } from './migrate.js';
import { openCheckedDatabase } from './open-database.js';
import { nul } from './sqlite-rows.js';
import { orderInfo, tokenUseOf } from '../core/orders/manager-store.js';
import {
  PRESENCE_SQL,
  UPDATE_COLUMNS,
  agentIdText,
  parseActiveRow,
  parseExecutionRow,
  rowToAgent,
  rowToPresence,
  rowToOrder,
  type AgentRow,
  type OrderRow,
} from './sqlite-manager-rows.js';

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Opens (creating and migrating when needed) the manager store at `file` (":memory:" for tests). */
export function openSqliteManagerStore(file: string): ManagerStore {
  const db = file === ':memory:' ? new Database(':memory:') : openCheckedDatabase(file, MANAGER_MIGRATIONS);
  if (file === ':memory:') {
    applyMigrations(db, MANAGER_MIGRATIONS);
  }
  return gatedManagerStore(db, new SqliteManagerOps(db));
}

/** The statements, synchronous; manager-store-gate.ts makes them the async port. */
class SqliteManagerOps extends SqliteManagerBulk implements SyncManagerStore {
  /** Reserves the next id from the `agent_id` counter row (as pg-manager-agents.ts; see there). */
  nextAgentId(): string {
    const row = this.q(
      `INSERT INTO counters (name, value)
         VALUES ('agent_id', COALESCE((SELECT MAX(CAST(id AS INTEGER)) FROM agents), 0) + 1)
       ON CONFLICT (name) DO UPDATE
         SET value = MAX(counters.value, COALESCE((SELECT MAX(CAST(id AS INTEGER)) FROM agents), 0)) + 1
       RETURNING value`,
    ).get() as { value: number };
    return agentIdText(row.value);
  }

  insertAgent(a: AgentRecord): void {
    this.q(
      `INSERT INTO agents (id, name, fingerprint, registered_at, removed_at, last_seen, version, address, ar_disabled)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      a.id,
      a.name,
      a.fingerprint,
      a.registeredAt,
      nul(a.removedAt),
      nul(a.lastSeen),
      nul(a.version),
      nul(a.address),
      a.arDisabled ? 1 : 0,
    );
  }

  getAgent(id: string): AgentRecord | undefined {
    const r = this.q('SELECT * FROM agents WHERE id = ?').get(id) as AgentRow | undefined;
    return r && rowToAgent(r);
  }

  listAgents(): AgentRecord[] {
    return (this.q('SELECT * FROM agents ORDER BY id').all() as AgentRow[]).map(rowToAgent);
  }

  agentPresence(): AgentPresence[] {
    return (this.q(PRESENCE_SQL).all() as Pick<AgentRow, 'id' | 'last_seen'>[]).map(rowToPresence);
  }

  markAgentRemoved(id: string, at: number): void {
    this.q('UPDATE agents SET removed_at = ? WHERE id = ? AND removed_at IS NULL').run(at, id);
  }

  updateAgentSeen(id: string, s: AgentSeen): void {
    this.q(
      `UPDATE agents SET last_seen = ?, version = COALESCE(?, version), address = COALESCE(?, address),
         ar_disabled = COALESCE(?, ar_disabled) WHERE id = ?`,
    ).run(
      s.lastSeen,
      nul(s.version),
      nul(s.address),
      s.arDisabled === undefined ? null : s.arDisabled ? 1 : 0,
      id,
    );
  }

  updateAgentsSeen(list: readonly AgentSeenOf[]): void {
    this.db.transaction(() => {
      for (const { id, seen } of list) {
        this.updateAgentSeen(id, seen);
      }
    })();
  }

  activeAgentNamed(name: string): AgentRecord | undefined {
    const r = this.q('SELECT * FROM agents WHERE lower(name) = lower(?) AND removed_at IS NULL LIMIT 1').get(
      name,
    ) as AgentRow | undefined;
    return r && rowToAgent(r);
  }

  addEnrollToken(hash: string, name: string, createdAt: number, expiresAt: number): void {
    this.q('INSERT INTO enroll_tokens (hash, name, created_at, expires_at) VALUES (?, ?, ?, ?)').run(
      hash,
      name,
      createdAt,
      expiresAt,
    );
  }

  checkEnrollToken(hash: string, name: string, now: number): TokenUse {
    const r = this.q('SELECT name, expires_at, used_at FROM enroll_tokens WHERE hash = ?').get(hash) as
      EnrollTokenRow | undefined;
    return tokenUseOf(r, name, now);
  }

  useEnrollToken(hash: string, name: string, now: number): TokenUse {
    return this.db
      .transaction((): TokenUse => {
        const use = this.checkEnrollToken(hash, name, now);
        if (use.ok) {
          this.q('UPDATE enroll_tokens SET used_at = ? WHERE hash = ?').run(now, hash);
        }
        return use;
      })
      .immediate();
  }

  enqueueOrder(o: NewOrder): StoredOrder {
    const [stored] = this.enqueueOrders([o]);
    if (stored === undefined) {
      throw new Error('order insert returned no row');
    }
    return stored;
  }

  getOrder(agentId: string, seq: number): StoredOrder | undefined {
    const r = this.q('SELECT * FROM orders WHERE agent_id = ? AND seq = ?').get(agentId, seq) as
      OrderRow | undefined;
    return r && rowToOrder(r);
  }

  queuedOrders(agentId: string): StoredOrder[] {
    const rows = this.q("SELECT * FROM orders WHERE agent_id = ? AND state = 'queued' ORDER BY seq").all(
      agentId,
    );
    return (rows as OrderRow[]).map(rowToOrder);
  }

  getOrdersOf(keys: readonly OrderKey[]): StoredOrder[] {
    const byAgent = new Map<string, number[]>();
    for (const k of keys) {
      const seqs = byAgent.get(k.agentId) ?? [];
      seqs.push(k.seq); // in place (a copy per key was quadratic in a report run's length)
      byAgent.set(k.agentId, seqs);
    }
    return [...byAgent.keys()].sort(cmp).flatMap((id) => this.getOrders(id, byAgent.get(id) ?? []));
  }

  queuedOrdersOf(agentIds: readonly string[], createdBefore?: number): StoredOrder[] {
    return [...new Set(agentIds)]
      .sort(cmp)
      .flatMap((id) =>
        this.queuedOrders(id).filter((o) => createdBefore === undefined || o.createdAt < createdBefore),
      );
  }

  updateOrder(agentId: string, seq: number, u: OrderUpdate): void {
    const sets = ['state = ?'];
    const values: (string | number | null)[] = [u.state];
    for (const [field, column] of UPDATE_COLUMNS) {
      const v = u[field];
      if (v !== undefined) {
        sets.push(`${column} = ?`);
        values.push(v);
      }
    }
    this.q(`UPDATE orders SET ${sets.join(', ')} WHERE agent_id = ? AND seq = ?`).run(
      ...values,
      agentId,
      seq,
    );
  }

  expirableOrders(now: number): StoredOrder[] {
    const rows = this.q(
      "SELECT * FROM orders WHERE state = 'queued' AND expires_at < ? ORDER BY expires_at",
    ).all(now);
    return (rows as OrderRow[]).map(rowToOrder);
  }

  executedOrdersWithKey(agentId: string, key: string): StoredOrder[] {
    const rows = this.q(
      "SELECT * FROM orders WHERE agent_id = ? AND key = ? AND kind = 'add' AND state = 'executed' ORDER BY seq",
    ).all(agentId, key);
    return (rows as OrderRow[]).map(rowToOrder);
  }

  executedKeyedOrders(agentId: string): StoredOrder[] {
    const rows = this.q(
      "SELECT * FROM orders WHERE agent_id = ? AND key IS NOT NULL AND kind = 'add' AND state = 'executed' ORDER BY seq",
    ).all(agentId);
    return (rows as OrderRow[]).map(rowToOrder);
  }

  listOrders(f: OrderFilter): OrderInfo[] {
    const where: string[] = [];
    const values: (string | number)[] = [];
    if (f.agentId !== undefined) {
      where.push('agent_id = ?');
      values.push(f.agentId);
    }
    if (f.state !== undefined) {
      where.push('state = ?');
      values.push(f.state);
    }
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const sql = `SELECT * FROM orders ${clause} ORDER BY created_at DESC, agent_id, seq DESC LIMIT ?`;
    const rows = this.q(sql).all(...values, f.limit ?? 100) as OrderRow[];
    return rows.map((r) => orderInfo(rowToOrder(r)));
  }

  countOrdersByState(): Record<OrderState, number> {
    const counts = Object.fromEntries(ORDER_STATES.map((s) => [s, 0])) as Record<OrderState, number>;
    const rows = this.q('SELECT state, COUNT(*) AS n FROM orders GROUP BY state').all() as {
      state: OrderState;
      n: number;
    }[];
    for (const r of rows) {
      counts[r.state] = r.n;
    }
    return counts;
  }

  recordExecution(e: FleetExecution): boolean {
    return this.recordExecutions([e])[0] === true;
  }

  lastExecutionId(agentId: string): number {
    const r = this.q('SELECT MAX(id) AS m FROM executions WHERE agent_id = ?').get(agentId) as {
      m: number | null;
    };
    return r.m ?? 0;
  }

  lastOrderSeqs(agentIds: readonly string[]): number[] {
    const max = this.q('SELECT MAX(seq) AS m FROM orders WHERE agent_id = ?');
    return agentIds.map((id) => (max.get(id) as { m: number | null }).m ?? 0);
  }

  lastExecutionIds(agentIds: readonly string[]): number[] {
    return agentIds.map((id) => this.lastExecutionId(id));
  }

  listExecutions(f: { agentId?: string; limit: number }): FleetExecution[] {
    const rows =
      f.agentId === undefined
        ? this.q('SELECT * FROM executions ORDER BY n DESC LIMIT ?').all(f.limit)
        : this.q('SELECT * FROM executions WHERE agent_id = ? ORDER BY n DESC LIMIT ?').all(
            f.agentId,
            f.limit,
          );
    return (rows as { record: string; order_seq: number | null; received_at: number }[]).map(
      parseExecutionRow,
    );
  }

  putActive(a: ActiveResponse, reportedAt: number): void {
    this.putActives([a], reportedAt);
  }

  removeActive(agentId: string, key: string): void {
    this.q('DELETE FROM active WHERE agent_id = ? AND key = ?').run(agentId, key);
  }

  replaceActive(agentId: string, items: readonly ActiveResponse[], reportedAt: number): void {
    this.db.transaction(() => {
      this.q('DELETE FROM active WHERE agent_id = ?').run(agentId);
      this.putActives(
        items.map((a) => ({ ...a, agentId })),
        reportedAt,
      );
    })();
  }

  listActive(agentId?: string): FleetActiveResponse[] {
    const rows =
      agentId === undefined
        ? this.q('SELECT * FROM active ORDER BY agent_id, key').all()
        : this.q('SELECT * FROM active WHERE agent_id = ? ORDER BY key').all(agentId);
    return (rows as { record: string; reported_at: number }[]).map(parseActiveRow);
  }

  activeKeysOf(agentIds: readonly string[]): { agentId: string; key: string }[] {
    const rows = this.q(
      'SELECT agent_id, key FROM active WHERE agent_id IN (SELECT value FROM json_each(?)) ORDER BY agent_id, key',
    ).all(JSON.stringify(agentIds)) as { agent_id: string; key: string }[];
    return rows.map((r) => ({ agentId: r.agent_id, key: r.key }));
  }

  countActive(): number {
    return (this.q('SELECT COUNT(*) AS n FROM active').get() as { n: number }).n;
  }
}
