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
import type {
  AgentStore,
  Deadlines,
  ExecutionQuery,
  InterruptedExecution,
  JoinedReapplyRecords,
  JoinedReapplySet,
  OrderExecution,
  ReapplyScope,
  ReapplyRecords,
  ReapplyTarget,
  StartedReapply,
} from '../core/execd/agent-store.js';
import type {
  ActiveResponse,
  ExecutionEnd,
  ExecutionRecord,
  ExecutionStart,
  ExecutionStatus,
} from '../protocol/execution-records.js';
import { MIGRATIONS } from './migrations/index.js';
import { openCheckedDatabase } from './open-database.js';
import { guardDiskFull } from './disk-full-guard.js';
import { SqliteLinkReads } from './sqlite-link-reads.js';
import { activeParams, nul, opt, rowToActive, rowToExecution, tupleToActive } from './sqlite-rows.js';
import {
  ACTIVE_ROWS_PER_INSERT,
  START_ROWS_PER_INSERT,
  endOnly,
  endParams,
  prepareStatements,
  startParams,
  type Statements,
} from './sqlite-statements.js';
import { inOrderOf, reapplyTarget } from './sqlite-reapply-rows.js';
import { SqliteJoinedReapply } from './sqlite-joined-reapply.js';
import { SqliteRevertMarks } from './sqlite-revert-marks.js';
import { executionRows } from './sqlite-execution-filter.js';
import {
  AUTO_PRUNE_EVERY,
  DEFAULT_EXECUTION_LIMIT,
  checkCount,
  resolveExecutionRetention,
  type AgentStoreOptions,
} from './store-options.js';

/** The `count` ids ending at `last` (the rows of one multi-row INSERT), in insertion order. */
export function consecutiveIds(last: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => last - count + 1 + i);
}

/**
 * Opens (creating and migrating when needed) the durable store at `file`.
 * @throws RiposteError CONFIG_INVALID for a bad `executionRetention`; INTERNAL when the file has a
 *   newer schema than this Riposte; STORE_CORRUPT (naming the file) when it is emptied, not a
 *   database or fails `PRAGMA quick_check` (see open-database.ts).
 */
export function openSqliteAgentStore(file: string, opts?: AgentStoreOptions): AgentStore {
  const retention = resolveExecutionRetention(opts);
  const db = openCheckedDatabase(file, MIGRATIONS, { checkedAhead: opts?.checkedAhead === true });
  try {
    // The page cache: 16 MiB (SQLite's default is 2 MiB). An active row is ~1.5 KB (its add and
    // delete messages), so a burst of a few thousand adds evicted the executions table's and
    // indexes' pages from a 2 MiB cache between two statements: each insert and outcome update
    // then re-read its pages from the WAL (measured: 15-19 us per insert and 12-19 us per update
    // at 2 MiB, 8-10 and 7-8 us at 16 MiB; 10,000 adds in batches of 400). An upper bound, filled
    // only as pages are read: +14 MiB of RSS at most.
    db.pragma('cache_size = -16384');
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
class SqliteAgentStore extends SqliteLinkReads implements AgentStore {
  private readonly startTx: (start: ExecutionStart) => number;
  private readonly joined: SqliteJoinedReapply;

  constructor(
    private readonly db: Database.Database,
    st: Statements,
    private readonly retention: number,
  ) {
    super(st, new SqliteRevertMarks(db, retention));
    this.startTx = db.transaction((start: ExecutionStart) => this.insertExecution(start));
    this.joined = new SqliteJoinedReapply(db);
  }

  transaction<T>(fn: () => T): T {
    // better-sqlite3 turns nested transactions into savepoints, so an inner call joins the outer one.
    return this.db.transaction(fn)();
  }

  putActive(active: ActiveResponse): void {
    this.st.putActive.run(...activeParams(active));
  }

  putActives(actives: readonly ActiveResponse[]): void {
    const n = ACTIVE_ROWS_PER_INSERT;
    this.transaction(() => {
      let i = 0;
      for (; i + n <= actives.length; i += n) {
        // One array per row (better-sqlite3 binds array arguments in order): ~1.5x cheaper per
        // row than one flat list of 960 values spread as arguments.
        this.st.putActives.run(...actives.slice(i, i + n).map(activeParams));
      }
      for (; i < actives.length; i++) {
        this.st.putActive.run(...activeParams(actives[i] as ActiveResponse));
      }
    });
  }

  getActive(key: string): ActiveResponse | undefined {
    const row = this.st.getActive.get(key);
    return row === undefined ? undefined : rowToActive(row);
  }

  programsOf(keys: readonly string[]): (string | undefined)[] {
    return keys.length === 0 ? [] : this.st.programsOf.all(JSON.stringify(keys)).map(opt);
  }

  removeActive(key: string): ActiveResponse | undefined {
    const row = this.st.removeActive.get(key);
    return row === undefined ? undefined : rowToActive(row);
  }

  deleteActive(key: string): boolean {
    return this.st.deleteActive.run(key).changes > 0;
  }

  listActive(): ActiveResponse[] {
    return this.st.listActive.all().map(tupleToActive);
  }

  countActive(): number {
    return this.st.countActive.get()?.n ?? 0;
  }

  /** Two plucked columns read in one transaction (4-5x faster than one object per row). */
  listDeadlines(): Deadlines {
    return this.transaction(() => ({
      keys: this.st.listDeadlineKeys.all(),
      expiresAt: this.st.listDeadlineTimes.all(),
    }));
  }

  getOffenderCount(key: string): number {
    return this.st.getOffender.get(key)?.count ?? 0;
  }

  countOffence(key: string): number {
    const after = this.st.countOffence.get(key);
    return after === undefined ? 0 : after - 1;
  }

  setOffenderCount(key: string, count: number): void {
    this.st.setOffender.run(key, checkCount('Offender count', count));
  }

  startExecution(start: ExecutionStart): number {
    // Inside a caller's transaction (a batch) the insert joins it: no savepoint per execution.
    return this.db.inTransaction ? this.insertExecution(start) : this.startTx(start);
  }

  private insertExecution(s: ExecutionStart): number {
    // Positional, in EXECUTION_START_COLUMNS order (sqlite-statements.ts).
    const { lastInsertRowid } = this.st.insertExecution.run(...startParams(s));
    const id = Number(lastInsertRowid);
    // By id, not by a per-process counter, so an agent restarted often still prunes.
    if (id % AUTO_PRUNE_EVERY === 0) {
      this.st.pruneExecutions.run(this.retention);
    }
    return id;
  }

  startExecutions(starts: readonly ExecutionStart[]): number[] {
    const [ids, n]: [number[], number] = [[], START_ROWS_PER_INSERT];
    this.transaction(() => {
      let i = 0;
      for (; i + n <= starts.length; i += n) {
        // One array per row, as in putActives. One INSERT in our write transaction: AUTOINCREMENT
        // gives its rows consecutive ids.
        const rows = starts.slice(i, i + n).map(startParams);
        const last = Number(this.st.insertExecutions.run(...rows).lastInsertRowid);
        ids.push(...consecutiveIds(last, n));
        // startExecution's prune, when one of these n (< AUTO_PRUNE_EVERY) ids is a multiple of it.
        if (last % AUTO_PRUNE_EVERY < n) {
          this.st.pruneExecutions.run(this.retention);
        }
      }
      ids.push(...starts.slice(i).map((start) => this.insertExecution(start)));
    });
    return ids;
  }

  listReapplyTargets(keys: readonly string[], programs: readonly string[]): ReapplyTarget[] {
    if (keys.length === 0) {
      return [];
    }
    const targets = this.st.reapplyTargets
      .all(JSON.stringify(keys), JSON.stringify(programs))
      .map((row) => reapplyTarget(row, programs));
    // Driven by json_each(keys), the join yields the targets in the order of `keys`; checked, and
    // put in that order by a map otherwise.
    if (inOrderOf(targets, keys)) {
      return targets;
    }
    const found = new Map(targets.map((t) => [t.key, t]));
    return keys.flatMap((k) => found.get(k) ?? []);
  }

  startReapplies(keys: readonly string[], startedAt: number, programs: readonly string[]): StartedReapply[] {
    return this.transaction(() => {
      const targets = this.listReapplyTargets(keys, programs);
      const ids = this.st.startReapplies.all(
        startedAt,
        JSON.stringify(targets.map((t) => t.key)),
        JSON.stringify(programs),
      );
      const idOf = new Map(ids.map(([id, key]) => [key, id]));
      const out = targets.flatMap((t) => {
        const id = idOf.get(t.key);
        return id === undefined ? [] : [{ ...t, id }];
      });
      this.pruneAfterBulk(out.length);
      return out;
    });
  }

  recordReapplies(groups: readonly ReapplyRecords[]): number[] {
    return this.transaction(() => {
      const ids: number[] = [];
      for (const g of groups) {
        if (g.keys.length === 0) {
          continue;
        }
        const { changes, lastInsertRowid } = this.st.recordReapplies.run({
          keys: JSON.stringify(g.keys),
          started_at: g.startedAt,
          ...endParams(g.end),
        });
        // One INSERT ... SELECT in our own write transaction: AUTOINCREMENT gives its rows the
        // consecutive ids ending at lastInsertRowid (no 100,000-row RETURNING array to build).
        for (const id of consecutiveIds(Number(lastInsertRowid), changes)) {
          ids.push(id);
        }
      }
      this.pruneAfterBulk(ids.length);
      return ids;
    });
  }

  joinedReapplyKeys(scope: ReapplyScope, set: JoinedReapplySet): { count: number; keys: string } {
    return this.joined.keys(scope, set);
  }

  recordJoinedReapplies(scope: ReapplyScope, set: JoinedReapplySet, records: JoinedReapplyRecords): number[] {
    return this.transaction(() => {
      const ids = this.joined.record(scope, set, records);
      this.pruneAfterBulk(ids.length);
      return ids;
    });
  }

  otherReapplyKeys(scope: ReapplyScope, sets: readonly JoinedReapplySet[]): string[] {
    return this.joined.others(scope, sets);
  }

  /** Pruning keeps its every-1,000-inserts rhythm after a bulk insert, never removing what it just wrote. */
  private pruneAfterBulk(inserted: number): void {
    if (inserted === 0) {
      return;
    }
    const last = Number(this.db.prepare('SELECT max(id) FROM executions').pluck().get() ?? 0);
    const keep = Math.max(this.retention, inserted);
    if (Math.floor(last / AUTO_PRUNE_EVERY) > Math.floor((last - inserted) / AUTO_PRUNE_EVERY)) {
      // Ids are unique and <= last, so rows <= last - first + 1: when that is <= keep there is
      // nothing to prune, and the OFFSET walk over `keep` rows (0.3 s at 100,000) is skipped.
      const first = Number(this.db.prepare('SELECT min(id) FROM executions').pluck().get() ?? 0);
      if (last - first + 1 > keep) {
        this.st.pruneExecutions.run(keep);
      }
    }
  }

  endExecutions(ids: readonly number[], end: ExecutionEnd): void {
    if (ids.length === 0) {
      return;
    }
    if (end.key === undefined && end.action === undefined) {
      this.st.endExecutionsOnly.run(...endOnly(end), JSON.stringify(ids));
      return;
    }
    this.st.endExecutions.run({ ids: JSON.stringify(ids), ...endParams(end) });
  }

  orderExecution(seq: number, afterId = 0): OrderExecution | undefined {
    const row = this.st.orderExecution.get(seq, afterId);
    return row === undefined
      ? undefined
      : { id: row.id, key: opt(row.key), status: row.status as ExecutionStatus, note: opt(row.note) };
  }

  setExecutionKey(id: number, key: string): void {
    this.st.setExecutionKey.run(key, id);
  }

  /** An unknown id (e.g. already pruned) is ignored: there is nothing left to complete. */
  endExecution(id: number, end: ExecutionEnd): void {
    if (end.key === undefined && end.action === undefined) {
      this.st.endExecutionOnly.run(...endOnly(end), id);
      return;
    }
    // Positional (sqlite-statements.ts ExecutionEndTuple): no named-parameter object per execution.
    this.st.endExecution.run(nul(end.key), nul(end.action), ...endOnly(end), id);
  }

  getExecution(id: number): ExecutionRecord | undefined {
    const row = this.st.getExecution.get(id);
    return row === undefined ? undefined : rowToExecution(row);
  }

  /** @throws RiposteError REQUEST_INVALID when `limit` is not a non-negative integer. */
  listExecutions(query?: ExecutionQuery): ExecutionRecord[] {
    const limit = checkCount('Execution query limit', query?.limit ?? DEFAULT_EXECUTION_LIMIT);
    return executionRows(this.st, query ?? {}, limit).map(rowToExecution);
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

  forgetOrderSeqsAbove(seq: number): number {
    return this.transaction(() => {
      this.marks.forget(seq);
      return this.st.forgetOrderSeqsAbove.run(seq).changes;
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
