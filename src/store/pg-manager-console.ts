/**
 * The console's reads on the manager's PostgreSQL store (core/orders/manager-console-store.ts),
 * the same queries as sqlite-manager-console.ts: enrollment tokens listed and removed by hash
 * prefix, executions filtered in SQL over the whole history with cursor pages (the cursor is the
 * row number `n`, rows newest first), per-minute counts by outcome, failed executions (partial
 * indexes of pg-manager-migrations.ts) and recent alert orders. Execution records are JSONB.
 */
import {
  ENROLL_TOKEN_ID_LENGTH,
  type AlertOrder,
  type EnrollTokenRecord,
  type ExecutionPage,
  type ExecutionQuery,
  type ManagerConsoleStore,
  type MinuteCount,
  type NumberedExecution,
} from '../core/orders/manager-console-store.js';
import type { FleetExecution } from '../protocol/fleet-records.js';
import { PgManagerBase } from './pg-manager-base.js';
import { PG_FAILED_SQL } from './pg-manager-migrations.js';
import { parseExecutionRow } from './sqlite-manager-rows.js';
import { opt } from './sqlite-rows.js';

const MINUTE_MS = 60_000;

/** The columns parseExecutionRow reads (the JSONB record as text). */
export const EXECUTION_COLUMNS = 'n, record::text AS record, order_seq, received_at';

interface ExecutionRow {
  n: number;
  record: string;
  order_seq: number | null;
  received_at: number;
}

const field = (name: string): string => `(record->>'${name}')`;

/** `s` as a LIKE pattern matching itself literally (escape character `\`). */
const literal = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The WHERE terms and values of a query (without the cursor); placeholders numbered from $1. */
function whereOf(q: ExecutionQuery): { clause: string[]; values: (string | number)[] } {
  const clause: string[] = [];
  const values: (string | number)[] = [];
  const add = (sql: (...at: string[]) => string, ...v: (string | number)[]): void => {
    const at = v.map((_, i) => `$${values.length + i + 1}`);
    clause.push(sql(...at));
    values.push(...v);
  };
  if (q.agentId !== undefined) {
    add((a) => `agent_id = ${a}`, q.agentId);
  }
  if (q.command !== undefined) {
    const program = field('program');
    add(
      (a, b, c) => `(${field('arName')} = ${a} OR ${program} = ${b} OR ${program} LIKE ${c} ESCAPE '\\')`,
      q.command,
      q.command,
      `%/${literal(q.command)}`,
    );
  }
  for (const name of ['status', 'key', 'alertId'] as const) {
    const v = q[name];
    if (v !== undefined) {
      add((a) => `${field(name)} = ${a}`, v);
    }
  }
  if (q.since !== undefined) {
    add((a) => `${field('startedAt')}::numeric >= ${a}`, q.since);
  }
  if (q.until !== undefined) {
    add((a) => `${field('startedAt')}::numeric <= ${a}`, q.until);
  }
  return { clause, values };
}

/** The row number a cursor names; undefined for a malformed one (then the query starts over). */
function cursorRow(cursor: string | undefined): number | undefined {
  return cursor !== undefined && /^\d{1,15}$/.test(cursor) ? Number(cursor) : undefined;
}

export abstract class PgManagerConsole extends PgManagerBase implements ManagerConsoleStore {
  async listEnrollTokens(): Promise<EnrollTokenRecord[]> {
    const rows = await this.rows<{
      hash: string;
      name: string;
      created_at: number;
      expires_at: number;
      used_at: number | null;
    }>(
      'SELECT hash, name, created_at, expires_at, used_at FROM enroll_tokens ORDER BY created_at DESC, hash',
    );
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
    return this.atomically(async () => {
      const matches = await this.rows<{ hash: string }>(
        'SELECT hash FROM enroll_tokens WHERE left(hash, $1) = $2 FOR UPDATE',
        [ENROLL_TOKEN_ID_LENGTH, id],
      );
      const only = matches.length === 1 ? matches[0] : undefined;
      if (only === undefined) {
        return false;
      }
      await this.run('DELETE FROM enroll_tokens WHERE hash = $1', [only.hash]);
      return true;
    });
  }

  async queryExecutions(q: ExecutionQuery): Promise<ExecutionPage> {
    const { clause, values } = whereOf(q);
    const after = cursorRow(q.cursor);
    if (after !== undefined) {
      values.push(after);
      clause.push(`n < $${values.length}`);
    }
    const where = clause.length > 0 ? `WHERE ${clause.join(' AND ')}` : '';
    values.push(q.limit + 1);
    const rows = await this.rows<ExecutionRow>(
      `SELECT ${EXECUTION_COLUMNS} FROM executions ${where} ORDER BY n DESC LIMIT $${values.length}`,
      values,
    );
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return {
      items: page.map(parseExecutionRow),
      nextCursor: rows.length > q.limit && last !== undefined ? String(last.n) : undefined,
    };
  }

  async countExecutionsPerMinute(since: number, until: number): Promise<MinuteCount[]> {
    const rows = await this.rows<{ m: number; status: string; n: number }>(
      `SELECT received_at / ${MINUTE_MS} AS m, ${field('status')} AS status, COUNT(*) AS n
         FROM executions WHERE received_at >= $1 AND received_at < $2 GROUP BY m, status ORDER BY m, status`,
      [since, until],
    );
    return rows.map((r) => ({ minute: r.m * MINUTE_MS, status: r.status, count: r.n }));
  }

  async executionsAfter(after: number, also: readonly number[], limit: number): Promise<NumberedExecution[]> {
    const rows = await this.rows<ExecutionRow>(
      `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE n > $1 OR n = ANY($2::bigint[]) ORDER BY n LIMIT $3`,
      [after, [...also], limit],
    );
    return rows.map((r) => ({ n: r.n, execution: parseExecutionRow(r) }));
  }

  async lastExecutionNumber(): Promise<number> {
    const rows = await this.rows<{ n: number | null }>('SELECT max(n) AS n FROM executions');
    return rows[0]?.n ?? 0;
  }

  async recentFailures(limit: number): Promise<FleetExecution[]> {
    const rows = await this.rows<ExecutionRow>(
      `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE ${PG_FAILED_SQL} ORDER BY n DESC LIMIT $1`,
      [limit],
    );
    return rows.map(parseExecutionRow);
  }

  async lastFailurePerAgent(): Promise<FleetExecution[]> {
    const rows = await this.rows<ExecutionRow>(
      `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE n IN
         (SELECT MAX(n) FROM executions WHERE ${PG_FAILED_SQL} GROUP BY agent_id) ORDER BY agent_id`,
    );
    return rows.map(parseExecutionRow);
  }

  async recentAlertOrders(limit: number): Promise<AlertOrder[]> {
    const rows = await this.rows<{
      agent_id: string;
      seq: number;
      alert_id: string | null;
      created_at: number;
      payload: string;
    }>(
      `SELECT agent_id, seq, alert_id, created_at, payload FROM orders
         WHERE source = 'alert' AND kind = 'add' ORDER BY created_at DESC, seq DESC LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({
      agentId: r.agent_id,
      seq: r.seq,
      alertId: opt(r.alert_id),
      createdAt: r.created_at,
      payload: r.payload,
    }));
  }
}
