/**
 * Which executions the agent's link session reports next (agent-link-session.ts): each execution
 * is read for its report once it has ended, and once only per session. A report run reads the
 * executions ended since the previous run (one range read, ascending, with the ids of the running
 * ones), and those the previous runs found running and that execd says have ended since (one read
 * by ids; every one of them after a notice without an id, the fallback poll), then the active rows
 * of their keys (one read).
 * The store stays the truth: after a reconnect the cursor restarts from the manager's last
 * recorded execution and reads what follows again.
 */
import type { AgentStore } from '../core/execd/agent-store.js';
import type { ActiveResponse, ExecutionRecord } from '../protocol/execution-records.js';
import type { ReportedActive } from '../protocol/link-records.js';

/** Executions read per statement. */
const PAGE = 1000;

/**
 * An ended execution and its key's active response now (null when not active); as a report
 * carries it (delete message left out where derivable) when read with `derivedDeletes`.
 */
export interface EndedExecution {
  readonly record: ExecutionRecord;
  readonly active: ActiveResponse | ReportedActive | null;
}

type ReportStore = Pick<
  AgentStore,
  'getExecutions' | 'listEndedExecutionsAfter' | 'runningExecutionIds' | 'getActives' | 'getReportedActives'
>;

export class ReportCursor {
  /** Every execution id <= floor was reported (or is known to the manager). */
  private low = 0;
  /** Executions at or below it are never read (see leaveOut). */
  private first = 0;
  /** Every execution id <= scanned was read: reported, or in `waiting`. */
  private scanned = 0;
  /** Executions at or below `scanned` that were running when read: reported once ended. */
  private readonly waiting = new Set<number>();
  /** Waiting executions execd said ended since the last read. */
  private readonly ended = new Set<number>();
  /** Re-read every waiting execution at the next read (a notice without an id). */
  private endedUnknown = false;

  /** Every execution id <= floor was reported (or is known to the manager). */
  get floor(): number {
    return this.low;
  }

  /**
   * Executions with an id at or below `id` are never read from the next reset on: an earlier
   * enrollment's (AppliedOrders.executionsAfter), which this manager must not store as this
   * agent's. Never lowered.
   */
  leaveOut(id: number): void {
    this.first = Math.max(this.first, id);
  }

  /**
   * Reads again from just above `floor` (a new session: the manager holds up to there), or above
   * what is left out, if higher.
   */
  reset(floor: number): void {
    this.low = Math.max(floor, this.first);
    this.scanned = this.low;
    this.waiting.clear();
    this.ended.clear();
    this.endedUnknown = false;
  }

  /** Execution `executionId` ended; without an id: any execution may have. */
  notify(executionId?: number): void {
    if (executionId === undefined) {
      this.endedUnknown = true;
    } else if (this.waiting.has(executionId)) {
      this.ended.add(executionId);
    }
  }

  /**
   * The executions ended since the last read, oldest first, each with its key's active row; of
   * those recorded since, about `max` at most (whole pages): the next read goes on from there.
   * `derivedDeletes`: the active rows as a report carries them (AgentStore.getReportedActives).
   */
  read(store: ReportStore, max = Infinity, derivedDeletes = false): EndedExecution[] {
    const records = this.endedWaiting(store);
    records.push(...this.recordedSince(store, max - records.length));
    let lowest = this.scanned + 1;
    for (const id of this.waiting) {
      lowest = Math.min(lowest, id);
    }
    this.low = lowest - 1;
    return withActive(store, records, derivedDeletes);
  }

  /** Waiting executions that have ended (all ids lower than any not read before). */
  private endedWaiting(store: ReportStore): ExecutionRecord[] {
    const ids = this.endedUnknown ? this.notRunning(store) : [...this.ended];
    this.ended.clear();
    this.endedUnknown = false;
    if (ids.length === 0) {
      return [];
    }
    const out: ExecutionRecord[] = [];
    const found = new Set<number>();
    for (const record of store.getExecutions(ids)) {
      found.add(record.id);
      if (record.status !== 'running') {
        out.push(record);
        this.waiting.delete(record.id);
      }
    }
    for (const id of ids) {
      if (!found.has(id)) {
        this.waiting.delete(id); // pruned meanwhile: nothing left to report
      }
    }
    return out;
  }

  /** After a notice without an id: the waiting ones execd said ended, and those not running now. */
  private notRunning(store: ReportStore): number[] {
    if (this.waiting.size === 0) {
      return [];
    }
    const still = new Set(store.runningExecutionIds(this.low, this.scanned));
    return [...this.waiting].filter((id) => this.ended.has(id) || !still.has(id));
  }

  /** Executions recorded since the last read: ended ones returned, running ones kept waiting. */
  private recordedSince(store: ReportStore, max: number): ExecutionRecord[] {
    const out: ExecutionRecord[] = [];
    while (out.length < max) {
      // Running ones as ids only (a burst's next batch is often running): read once they ended.
      const page = store.listEndedExecutionsAfter(this.scanned, PAGE);
      const full = page.length === PAGE;
      const last = page[page.length - 1]?.id ?? this.scanned;
      let top = last;
      for (const id of store.runningExecutionIds(this.scanned, full ? last : Number.MAX_SAFE_INTEGER)) {
        this.waiting.add(id);
        top = Math.max(top, id);
      }
      out.push(...page);
      this.scanned = top;
      if (!full) {
        break;
      }
    }
    return out;
  }
}

function withActive(
  store: ReportStore,
  records: readonly ExecutionRecord[],
  derivedDeletes: boolean,
): EndedExecution[] {
  const keys = new Set<string>();
  for (const r of records) {
    if (r.key !== undefined) {
      keys.add(r.key);
    }
  }
  const active = new Map<string, ActiveResponse | ReportedActive>();
  if (keys.size > 0) {
    const list = [...keys];
    for (const a of derivedDeletes ? store.getReportedActives(list) : store.getActives(list)) {
      active.set(a.key, a);
    }
  }
  return records.map((record) => ({
    record,
    active: record.key === undefined ? null : (active.get(record.key) ?? null),
  }));
}
