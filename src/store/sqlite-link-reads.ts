/**
 * The agent store's reads for the manager link's reports (link/report-cursor.ts) and order
 * look-ups (link/applied-orders.ts), on SQLite: id and key lists go in as one JSON array each.
 * The base of SqliteAgentStore (sqlite-agent-store.ts).
 */
import type { ActiveResponse, ExecutionRecord } from '../protocol/execution-records.js';
import type { ReportedActive } from '../protocol/link-records.js';
import { checkCount } from './store-options.js';
import { rowToActive, rowToExecution, rowToReported } from './sqlite-rows.js';
import type { Statements } from './sqlite-statements.js';

export abstract class SqliteLinkReads {
  constructor(protected readonly st: Statements) {}

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

  maxOrderSeq(afterId = 0): number {
    return this.st.maxOrderSeq.get(afterId) ?? 0;
  }

  revertOrderAfter(key: string, seq: number, afterId = 0): number | undefined {
    return this.st.revertOrderAfter.get(key, seq, afterId);
  }

  orderSeqsOf(ids: readonly number[]): Map<number, number> {
    const rows = ids.length === 0 ? [] : this.st.orderSeqsOf.all(JSON.stringify(ids));
    return new Map(rows.map((r) => [r.id, r.order_seq]));
  }

  /** The one write here: what the reads above find of an order seq (AgentStore). */
  forgetOrderSeqsAbove(seq: number): number {
    return this.st.forgetOrderSeqsAbove.run(seq).changes;
  }
}
