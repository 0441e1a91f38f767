/**
 * The agent store's reads for the manager link's reports (link/report-cursor.ts) and order
 * look-ups (link/applied-orders.ts), on SQLite: id and key lists go in as one JSON array each.
 * The order-seq reads count the revert marks (sqlite-revert-marks.ts) with the executions.
 * The base of SqliteAgentStore (sqlite-agent-store.ts).
 */
import type { ActiveResponse, ExecutionRecord } from '../protocol/execution-records.js';
import type { ReportedActive } from '../protocol/link-records.js';
import { checkCount } from './store-options.js';
import { rowToActive, rowToExecution, rowToReported } from './sqlite-rows.js';
import type { Statements } from './sqlite-statements.js';
import type { SqliteRevertMarks } from './sqlite-revert-marks.js';

export abstract class SqliteLinkReads {
  constructor(
    protected readonly st: Statements,
    protected readonly marks: SqliteRevertMarks,
  ) {}

  getActives(keys: readonly string[]): ActiveResponse[] {
    return keys.length === 0 ? [] : this.st.getActives.all(JSON.stringify(keys)).map(rowToActive);
  }

  getReportedActives(keys: readonly string[]): ReportedActive[] {
    return keys.length === 0 ? [] : this.st.getActives.all(JSON.stringify(keys)).map(rowToReported);
  }

  getExecutions(ids: readonly number[]): ExecutionRecord[] {
    return ids.length === 0 ? [] : this.st.getExecutions.all(JSON.stringify(ids)).map(rowToExecution);
  }

  /** @throws RiposteError REQUEST_INVALID when `limit` is not a non-negative integer. */
  listEndedExecutionsAfter(afterId: number, limit: number): ExecutionRecord[] {
    const n = checkCount('Execution query limit', limit);
    return this.st.listEndedExecutionsAfter.all(afterId, n).map(rowToExecution);
  }

  runningExecutionIds(afterId: number, upToId: number): number[] {
    return this.st.runningExecutionIds.all(afterId, upToId);
  }

  /** Executions above `afterId` and the revert marks (AgentStore). */
  maxOrderSeq(afterId = 0): number {
    return Math.max(this.st.maxOrderSeq.get(afterId) ?? 0, this.marks.max());
  }

  /** Delete executions above `afterId` and the revert marks (AgentStore). */
  revertOrderAfter(key: string, seq: number, afterId = 0): number | undefined {
    const ran = this.st.revertOrderAfter.get(key, seq, afterId);
    const marked = this.marks.after(key, seq);
    return ran === undefined || marked === undefined ? (ran ?? marked) : Math.max(ran, marked);
  }

  /** The writes of the marks those two read (one statement each). */
  markRevertOrder(key: string, seq: number, at: number): void {
    this.marks.record(key, seq, at);
  }

  forgetRevertMarks(): void {
    this.marks.forget(0);
  }

  orderSeqsOf(ids: readonly number[]): Map<number, number> {
    const rows = ids.length === 0 ? [] : this.st.orderSeqsOf.all(JSON.stringify(ids));
    return new Map(rows.map((r) => [r.id, r.order_seq]));
  }
}
