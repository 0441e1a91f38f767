/**
 * The console's reads on the manager's SQLite store (core/orders/manager-console-store.ts):
 * enrollment tokens listed and removed by hash prefix, executions filtered in SQL over the whole
 * history with cursor pages (the cursor is the row number `n`, rows newest first), per-minute
 * counts by outcome (index on received_at, migration 0003), failed executions (partial indexes,
 * migration 0004) and recent alert orders.
 * The execution record is JSON; its filtered fields are read with json_extract.
 */
import {
  ENROLL_TOKEN_ID_LENGTH,
  FAILED_STATUSES,
  type AlertOrder,
  type EnrollTokenRecord,
  type ExecutionPage,
  type ExecutionQuery,
  type ManagerConsoleStore,
  type MinuteCount,
  type NumberedExecution,
} from '../core/orders/manager-console-store.js';
import type { FleetExecution } from '../protocol/fleet-records.js';
import { parseExecutionRow } from './sqlite-manager-rows.js';
import { SqliteManagerBase } from './sqlite-manager-base.js';
import { opt } from './sqlite-rows.js';

const MINUTE_MS = 60_000;

const field = (name: string): string => `json_extract(record, '$.${name}')`;

/**
 * The failed-outcome condition, spelled exactly as migration 0004's partial indexes spell it (SQLite
 * uses a partial index only when the query repeats its WHERE term).
 */
export const FAILED_SQL = `json_extract(record, '$.status') IN (${FAILED_STATUSES.map((s) => `'${s}'`).join(', ')})`;

interface ExecutionRow {
  n: number;
  record: string;
  order_seq: number | null;
  received_at: number;
}

/** The WHERE clause and values of a query (without the cursor). */
function whereOf(q: ExecutionQuery): { clause: string[]; values: (string | number)[] } {
  const clause: string[] = [];
  const values: (string | number)[] = [];
  const add = (sql: string, ...v: (string | number)[]): void => {
    clause.push(sql);
    values.push(...v);
  };
  if (q.agentId !== undefined) {
    add('agent_id = ?', q.agentId);
  }
  if (q.command !== undefined) {
    const program = field('program');
    // A basename test by suffix, not LIKE: SQLite's LIKE ignores ASCII case, PostgreSQL's does
    // not, and names and program files are case-sensitive (both stores: the same rows).
    add(
      `(${field('arName')} = ? OR ${program} = ? OR substr(${program}, -length(?)) = ?)`,
      q.command,
      q.command,
      `/${q.command}`,
      `/${q.command}`,
    );
  }
  if (q.status !== undefined) {
    add(`${field('status')} = ?`, q.status);
  }
  if (q.key !== undefined) {
    add(`${field('key')} = ?`, q.key);
  }
  if (q.alertId !== undefined) {
    add(`${field('alertId')} = ?`, q.alertId);
  }
  if (q.since !== undefined) {
    add(`${field('startedAt')} >= ?`, q.since);
  }
  if (q.until !== undefined) {
    add(`${field('startedAt')} <= ?`, q.until);
  }
  return { clause, values };
}

/** The row number a cursor names; undefined for a malformed one (then the query starts over). */
function cursorRow(cursor: string | undefined): number | undefined {
  return cursor !== undefined && /^\d{1,15}$/.test(cursor) ? Number(cursor) : undefined;
}

export class SqliteManagerConsole extends SqliteManagerBase implements ManagerConsoleStore {
  async listEnrollTokens(): Promise<EnrollTokenRecord[]> {
    const rows = this.q(
      'SELECT hash, name, created_at, expires_at, used_at FROM enroll_tokens ORDER BY created_at DESC, hash',
    ).all() as {
      hash: string;
      name: string;
      created_at: number;
      expires_at: number;
      used_at: number | null;
    }[];
    return rows.map((r) => ({
      id: r.hash.slice(0, ENROLL_TOKEN_ID_LENGTH),
      name: r.name,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
      usedAt: opt(r.used_at),
    }));
  }

  async removeEnrollToken(id: string): Promise<boolean> {
    if (!new RegExp(`^[0-9a-f]{${ENROLL_TOKEN_ID_LENGTH}}$`).test(id)) {
      return false;
    }
    return this.db
      .transaction((): boolean => {
        const matches = this.q('SELECT hash FROM enroll_tokens WHERE substr(hash, 1, ?) = ?').all(
          ENROLL_TOKEN_ID_LENGTH,
          id,
        ) as { hash: string }[];
        const only = matches.length === 1 ? matches[0] : undefined;
        if (only === undefined) {
          return false;
        }
        this.q('DELETE FROM enroll_tokens WHERE hash = ?').run(only.hash);
        return true;
      })
      .immediate();
  }

  async queryExecutions(q: ExecutionQuery): Promise<ExecutionPage> {
    const { clause, values } = whereOf(q);
    const after = cursorRow(q.cursor);
    if (after !== undefined) {
      clause.push('n < ?');
      values.push(after);
    }
    const where = clause.length > 0 ? `WHERE ${clause.join(' AND ')}` : '';
    const rows = this.q(
      `SELECT n, record, order_seq, received_at FROM executions ${where} ORDER BY n DESC LIMIT ?`,
    ).all(...values, q.limit + 1) as {
      n: number;
      record: string;
      order_seq: number | null;
      received_at: number;
    }[];
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return {
      items: page.map(parseExecutionRow),
      nextCursor: rows.length > q.limit && last !== undefined ? String(last.n) : undefined,
    };
  }

  async countExecutionsPerMinute(since: number, until: number): Promise<MinuteCount[]> {
    const rows = this.q(
      `SELECT received_at / ${MINUTE_MS} AS m, ${field('status')} AS status, COUNT(*) AS n
         FROM executions WHERE received_at >= ? AND received_at < ? GROUP BY m, status ORDER BY m`,
    ).all(since, until) as { m: number; status: string; n: number }[];
    return rows.map((r) => ({ minute: r.m * MINUTE_MS, status: r.status, count: r.n }));
  }

  async executionsAfter(after: number, also: readonly number[], limit: number): Promise<NumberedExecution[]> {
    const rows = this.q(
      `SELECT n, record, order_seq, received_at FROM executions
         WHERE n > ? OR n IN (SELECT value FROM json_each(?)) ORDER BY n LIMIT ?`,
    ).all(after, JSON.stringify(also), limit) as ExecutionRow[];
    return rows.map((r) => ({ n: r.n, execution: parseExecutionRow(r) }));
  }

  async lastExecutionNumber(): Promise<number> {
    const row = this.q('SELECT max(n) AS n FROM executions').get() as { n: number | null };
    return row.n ?? 0;
  }

  async recentFailures(limit: number): Promise<FleetExecution[]> {
    const rows = this.q(
      `SELECT n, record, order_seq, received_at FROM executions
         WHERE ${FAILED_SQL} ORDER BY n DESC LIMIT ?`,
    ).all(limit) as ExecutionRow[];
    return rows.map(parseExecutionRow);
  }

  async lastFailurePerAgent(): Promise<FleetExecution[]> {
    const rows = this.q(
      `SELECT n, record, order_seq, received_at FROM executions WHERE n IN
         (SELECT MAX(n) FROM executions WHERE ${FAILED_SQL} GROUP BY agent_id) ORDER BY agent_id`,
    ).all() as ExecutionRow[];
    return rows.map(parseExecutionRow);
  }

  async recentAlertOrders(limit: number): Promise<AlertOrder[]> {
    const rows = this.q(
      `SELECT agent_id, seq, alert_id, created_at, payload FROM orders
         WHERE source = 'alert' AND kind = 'add' ORDER BY created_at DESC, seq DESC LIMIT ?`,
    ).all(limit) as {
      agent_id: string;
      seq: number;
      alert_id: string | null;
      created_at: number;
      payload: string;
    }[];
    return rows.map((r) => ({
      agentId: r.agent_id,
      seq: r.seq,
      alertId: opt(r.alert_id),
      createdAt: r.created_at,
      payload: r.payload,
    }));
  }
}
