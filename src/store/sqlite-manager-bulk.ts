/**
 * The manager store's bulk methods on SQLite (enqueueOrders, getOrders, updateOrders, ackOrders,
 * expireOrders, recordExecutions, putActives, pruneHistory, getAgentsByFingerprints): each one transaction of prepared statements, storing what the one-at-a-time
 * methods called in the same order would (test/contract/manager-store-bulk.contract.ts).
 */
import type { FleetExecution } from '../protocol/fleet-records.js';
import type { ActiveResponse } from '../protocol/execution-records.js';
import type {
  AckedOrder,
  AgentRecord,
  NewOrder,
  OrderKey,
  OrderUpdateOf,
  PrunedHistory,
  StoredOrder,
} from '../core/orders/manager-store.js';
import { pruneExecutionsSql, pruneOrdersSql } from './history-prune-sql.js';
import { SqliteManagerConsole } from './sqlite-manager-console.js';
import { nul } from './sqlite-rows.js';
import {
  UPDATE_COLUMNS,
  queuedOrder,
  rowToAgent,
  rowToOrder,
  type AgentRow,
  type OrderRow,
} from './sqlite-manager-rows.js';

export class SqliteManagerBulk extends SqliteManagerConsole {
  /** The agent of each fingerprint (one indexed read each: SQLite is in-process). */
  getAgentsByFingerprints(fingerprints: readonly string[]): (AgentRecord | undefined)[] {
    const get = this.q('SELECT * FROM agents WHERE fingerprint = ?');
    return fingerprints.map((f) => {
      const r = get.get(f) as AgentRow | undefined;
      return r && rowToAgent(r);
    });
  }

  putActives(actives: readonly ActiveResponse[], reportedAt: number): void {
    const put = this.q(
      'INSERT OR REPLACE INTO active (agent_id, key, reported_at, record) VALUES (?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      for (const a of actives) {
        put.run(a.agentId, a.key, reportedAt, JSON.stringify(a));
      }
    })();
  }

  enqueueOrders(orders: readonly NewOrder[]): StoredOrder[] {
    return this.db
      .transaction((): StoredOrder[] => {
        const last = new Map<string, number>();
        const insert = this.q(
          `INSERT INTO orders (agent_id, seq, kind, source, ar_name, key, alert_id, payload, state, created_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)`,
        );
        return orders.map((o) => {
          let before = last.get(o.agentId);
          if (before === undefined) {
            const r = this.q('SELECT MAX(seq) AS m FROM orders WHERE agent_id = ?').get(o.agentId) as {
              m: number | null;
            };
            before = r.m ?? 0;
          }
          const seq = before + 1;
          last.set(o.agentId, seq);
          insert.run(
            o.agentId,
            seq,
            o.kind,
            o.source,
            nul(o.arName),
            nul(o.key),
            nul(o.alertId),
            o.payload,
            o.createdAt,
            o.expiresAt,
          );
          return queuedOrder(o, seq); // what a read-back would give, without copying the payload back
        });
      })
      .immediate();
  }

  getOrders(agentId: string, seqs: readonly number[]): StoredOrder[] {
    const rows = this.q(
      'SELECT * FROM orders WHERE agent_id = ? AND seq IN (SELECT value FROM json_each(?)) ORDER BY seq',
    ).all(agentId, JSON.stringify(seqs));
    return (rows as OrderRow[]).map(rowToOrder);
  }

  updateOrders(updates: readonly OrderUpdateOf[]): void {
    // One statement for every shape of update: a column not given keeps its value (COALESCE).
    const sets = UPDATE_COLUMNS.map(([, column]) => `${column} = COALESCE(?, ${column})`);
    const update = this.q(`UPDATE orders SET state = ?, ${sets.join(', ')} WHERE agent_id = ? AND seq = ?`);
    this.db.transaction(() => {
      for (const { agentId, seq, update: u } of updates) {
        update.run(u.state, ...UPDATE_COLUMNS.map(([field]) => nul(u[field])), agentId, seq);
      }
    })();
  }

  ackOrders(keys: readonly OrderKey[], at: number): AckedOrder[] {
    return this.moveQueued(keys, at, 'delivered');
  }

  expireOrders(keys: readonly OrderKey[], at: number): OrderKey[] {
    return this.moveQueued(keys, at, 'expired').map(({ agentId, seq }) => ({ agentId, seq }));
  }

  /**
   * The orders of `keys` still queued moved to `to` at `at`. One UPDATE per agent (its seqs as
   * one JSON parameter), not one per key; the moved orders are then listed in the keys' order,
   * each once, as the one-at-a-time calls would return them.
   */
  private moveQueued(keys: readonly OrderKey[], at: number, to: 'delivered' | 'expired'): AckedOrder[] {
    const ack = this.q(
      `UPDATE orders SET state = '${to}', ${to}_at = ?
         WHERE agent_id = ? AND state = 'queued' AND seq IN (SELECT value FROM json_each(?))
         RETURNING seq, created_at`,
    );
    const seqsOf = new Map<string, number[]>();
    for (const { agentId, seq } of keys) {
      const list = seqsOf.get(agentId);
      if (list === undefined) {
        seqsOf.set(agentId, [seq]);
      } else {
        list.push(seq);
      }
    }
    return this.db.transaction((): AckedOrder[] => {
      const moved = new Map<string, Map<number, number>>();
      for (const [agentId, seqs] of seqsOf) {
        const rows = ack.all(at, agentId, JSON.stringify(seqs)) as { seq: number; created_at: number }[];
        moved.set(agentId, new Map(rows.map((r) => [r.seq, r.created_at])));
      }
      return keys.flatMap(({ agentId, seq }) => {
        const ofAgent = moved.get(agentId);
        const createdAt = ofAgent?.get(seq);
        if (ofAgent === undefined || createdAt === undefined) {
          return [];
        }
        ofAgent.delete(seq);
        return [{ agentId, seq, createdAt }];
      });
    })();
  }

  recordExecutions(execs: readonly FleetExecution[]): boolean[] {
    const insert = this.q(
      'INSERT OR IGNORE INTO executions (agent_id, id, order_seq, received_at, record) VALUES (?, ?, ?, ?, ?)',
    );
    return this.db.transaction(() =>
      execs.map((e) => {
        const { orderSeq, receivedAt, ...record } = e;
        return insert.run(e.agentId, e.id, nul(orderSeq), receivedAt, JSON.stringify(record)).changes > 0;
      }),
    )();
  }

  /** Two DELETEs (history-prune-sql.ts), in one transaction. */
  pruneHistory(before: number, limit: number): PrunedHistory {
    return this.db.transaction(() => ({
      orders: this.q(pruneOrdersSql(() => '?')).run(before, limit).changes,
      executions: this.q(pruneExecutionsSql(() => '?')).run(before, limit).changes,
    }))();
  }
}
