/**
 * The agent's durable AgentStore on SQLite (better-sqlite3), normally at DIR/var/agent.db.
 *
 * Durability contract: a method that returned has committed its transaction to the WAL, so the row
 * survives a crash of this process (including kill -9). It is NOT guaranteed to survive a power loss
 * (see `synchronous` below). Only src/store/ may import better-sqlite3.
 *
 * Not part of this module: deciding what to store (core/execd) and timers (the agent's scheduler).
 */
import type Database from 'better-sqlite3';
import type { AgentStore, ExecutionQuery, InterruptedExecution } from '../core/execd/agent-store.js';
import type {
  ActiveResponse,
  ExecutionEnd,
  ExecutionRecord,
  ExecutionStart,
} from '../protocol/execution-records.js';
import { MIGRATIONS } from './migrations/index.js';
import { openCheckedDatabase } from './open-database.js';
import { guardDiskFull } from './disk-full-guard.js';
import { activeToParams, nul, rowToActive, rowToExecution, tupleToActive } from './sqlite-rows.js';
import { prepareStatements, type Statements } from './sqlite-statements.js';
import {
  AUTO_PRUNE_EVERY,
  DEFAULT_EXECUTION_LIMIT,
  checkCount,
  resolveExecutionRetention,
  type AgentStoreOptions,
} from './store-options.js';

/**
 * Opens (creating and migrating when needed) the durable store at `file`.
 * @throws RiposteError CONFIG_INVALID for a bad `executionRetention`; INTERNAL when the file has a
 *   newer schema than this Riposte; STORE_CORRUPT (naming the file) when it is emptied, not a
 *   database or fails `PRAGMA quick_check` (see open-database.ts).
 */
export function openSqliteAgentStore(file: string, opts?: AgentStoreOptions): AgentStore {
  const retention = resolveExecutionRetention(opts);
  const db = openCheckedDatabase(file, MIGRATIONS);
  try {
    // A full disk defers execution outcomes instead of losing them (see disk-full-guard.ts).
    return guardDiskFull(new SqliteAgentStore(db, prepareStatements(db), retention), file);
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Each method is one transaction: single statements are atomic in SQLite; methods with several
 * statements wrap them in `db.transaction`. `transaction(fn)` groups calls: one BEGIN/COMMIT (one
 * WAL append) for a whole batch instead of one autocommit per statement.
 */
class SqliteAgentStore implements AgentStore {
  private readonly startTx: (start: ExecutionStart) => number;

  constructor(
    private readonly db: Database.Database,
    private readonly st: Statements,
    private readonly retention: number,
  ) {
    this.startTx = db.transaction((start: ExecutionStart) => this.insertExecution(start));
  }

  transaction<T>(fn: () => T): T {
    // better-sqlite3 turns nested transactions into savepoints, so an inner call joins the outer one.
    return this.db.transaction(fn)();
  }

  putActive(active: ActiveResponse): void {
    this.st.putActive.run(activeToParams(active));
  }

  getActive(key: string): ActiveResponse | undefined {
    const row = this.st.getActive.get(key);
    return row === undefined ? undefined : rowToActive(row);
  }

  removeActive(key: string): ActiveResponse | undefined {
    const row = this.st.removeActive.get(key);
    return row === undefined ? undefined : rowToActive(row);
  }

  listActive(): ActiveResponse[] {
    return this.st.listActive.all().map(tupleToActive);
  }

  countActive(): number {
    return this.st.countActive.get()?.n ?? 0;
  }

  listDeadlines(): { key: string; expiresAt: number }[] {
    return this.st.listDeadlines.all().map(([key, expiresAt]) => ({ key, expiresAt }));
  }

  getOffenderCount(key: string): number {
    return this.st.getOffender.get(key)?.count ?? 0;
  }

  setOffenderCount(key: string, count: number): void {
    this.st.setOffender.run(key, checkCount('Offender count', count));
  }

  startExecution(start: ExecutionStart): number {
    // Inside a caller's transaction (a batch) the insert joins it: no savepoint per execution.
    return this.db.inTransaction ? this.insertExecution(start) : this.startTx(start);
  }

  private insertExecution(s: ExecutionStart): number {
    const { lastInsertRowid } = this.st.insertExecution.run({
      key: nul(s.key),
      ar_name: s.arName,
      program: s.program,
      action: s.action,
      agent_id: s.agentId,
      alert_id: nul(s.alertId),
      rule_id: nul(s.ruleId),
      srcip: nul(s.srcip),
      user: nul(s.user),
      started_at: s.startedAt,
    });
    const id = Number(lastInsertRowid);
    // By id, not by a per-process counter, so an agent restarted often still prunes.
    if (id % AUTO_PRUNE_EVERY === 0) {
      this.st.pruneExecutions.run(this.retention);
    }
    return id;
  }

  setExecutionKey(id: number, key: string): void {
    this.st.setExecutionKey.run(key, id);
  }

  /** An unknown id (e.g. already pruned) is ignored: there is nothing left to complete. */
  endExecution(id: number, end: ExecutionEnd): void {
    this.st.endExecution.run({
      id,
      key: nul(end.key),
      action: nul(end.action),
      ended_at: end.endedAt,
      exit_code: nul(end.exitCode),
      signal: nul(end.signal),
      timed_out: end.timedOut ? 1 : 0,
      status: end.status,
      stderr_tail: end.stderrTail,
      note: nul(end.note),
    });
  }

  getExecution(id: number): ExecutionRecord | undefined {
    const row = this.st.getExecution.get(id);
    return row === undefined ? undefined : rowToExecution(row);
  }

  /** @throws RiposteError REQUEST_INVALID when `limit` is not a non-negative integer. */
  listExecutions(query?: ExecutionQuery): ExecutionRecord[] {
    const limit = checkCount('Execution query limit', query?.limit ?? DEFAULT_EXECUTION_LIMIT);
    const before = query?.beforeId ?? null;
    const rows =
      query?.key === undefined
        ? this.st.listExecutions.all({ before, limit })
        : this.st.listExecutionsByKey.all({ key: query.key, before, limit });
    return rows.map(rowToExecution);
  }

  failRunningExecutions(now: number): InterruptedExecution[] {
    return this.transaction(() => {
      const running = this.st.listRunning.all().map(([id, key, action]) => ({
        id,
        key: key ?? undefined,
        action: action as InterruptedExecution['action'],
      }));
      this.st.failRunning.run(now);
      return running;
    });
  }

  /** @throws RiposteError REQUEST_INVALID when `keep` is not a non-negative integer. */
  pruneExecutions(keep: number): number {
    return this.st.pruneExecutions.run(checkCount('Executions to keep', keep)).changes;
  }

  getSetting(name: string): string | undefined {
    return this.st.getSetting.get(name)?.value;
  }

  setSetting(name: string, value: string): void {
    this.st.setSetting.run(name, value);
  }

  /** Closes the database; idempotent. Any other call afterwards throws. */
  close(): void {
    if (this.db.open) {
      this.db.close();
    }
  }
}
