/**
 * The agent's persistence port. Implemented by store/sqlite-agent-store.ts (durable, under
 * DIR/var/), which passes the contract suite test/contract/agent-store.contract.ts.
 *
 * Every method is synchronous: better-sqlite3 is synchronous, and the agent must have written an
 * active response before it answers `continue` to the script. Each method is one transaction, and
 * `transaction` groups several calls into one (group commit: a batch of executions is written with
 * one commit, before any of its `continue` answers).
 */
import type {
  ActiveResponse,
  ExecutionEnd,
  ExecutionRecord,
  ExecutionStart,
  ExecutionStatus,
} from '../../protocol/execution-records.js';
import type { ReportedActive } from '../../protocol/link-records.js';

/** Deadlines of the active responses, column-wise: `keys[i]` expires at `expiresAt[i]` (epoch ms). */
export interface Deadlines {
  readonly keys: string[];
  readonly expiresAt: number[];
}

/** Filters of a history read, as the manager's (core/orders/manager-console-store.ts ExecutionQuery). */
export interface ExecutionFilter {
  readonly key?: string;
  /** AR name ("firewall-drop600") or the program's basename ("firewall-drop"). */
  readonly command?: string;
  readonly status?: string;
  readonly alertId?: string;
  /** startedAt >= since (epoch ms) */
  readonly since?: number;
  /** startedAt <= until (epoch ms) */
  readonly until?: number;
}

export interface ExecutionQuery extends ExecutionFilter {
  /** Most recent first; @default 100 */
  readonly limit?: number;
  readonly beforeId?: number;
}

/** An execution a crash left `running`, as marked failed by {@link AgentStore.failRunningExecutions}. */
export interface InterruptedExecution {
  readonly id: number;
  readonly key: string | undefined;
  readonly action: ExecutionRecord['action'];
}

/** An active response to re-apply, as {@link AgentStore.listReapplyTargets} reads it. */
export interface ReapplyTarget {
  /** The active response's key. */
  readonly key: string;
  readonly program: string;
  /** The string items of its add message's `parameters.extra_args`. */
  readonly extraArgs: readonly string[];
}

/** A re-apply execution started by {@link AgentStore.startReapplies}. */
export interface StartedReapply extends ReapplyTarget {
  readonly id: number;
}

/** Re-apply executions recorded at once: these keys, one start time and one outcome. */
export interface ReapplyRecords {
  readonly keys: readonly string[];
  readonly startedAt: number;
  readonly end: ExecutionEnd;
}

/** Re-applies after a reboot take the responses live after `liveAfter` (ms), but the `excluded` keys. */
export interface ReapplyScope {
  readonly liveAfter: number;
  readonly excluded: readonly string[];
}

/**
 * The responses of one program a joined re-apply takes (AgentStore.joinedReapplyKeys): those of
 * `program` whose key starts with `keyPrefix` (the rest is the script's key) and whose add message
 * has no extra args.
 */
export interface JoinedReapplySet {
  readonly program: string;
  readonly keyPrefix: string;
}

/** The outcome of a joined re-apply: one end for all, but the failed keys' own. */
export interface JoinedReapplyRecords {
  readonly startedAt: number;
  readonly end: ExecutionEnd;
  readonly failures: readonly { readonly key: string; readonly end: ExecutionEnd }[];
}

/** What the link needs to know of an order's execution after a restart. */
export interface OrderExecution {
  readonly id: number;
  /** Set once the add was decided (in the decision's transaction): the response was counted. */
  readonly key: string | undefined;
  readonly status: ExecutionStatus;
  readonly note: string | undefined;
}

/**
 * Agent store setting: the highest execution id recorded before the link's order marks were reset
 * for another agent id (absent: none). Executions at or below it are an earlier enrollment's: not
 * taken for a run of this id's orders, not reported to its manager (link/applied-orders.ts).
 */
export const ORDERS_AFTER_EXECUTION_SETTING = 'orders_after_execution';

/** ORDERS_AFTER_EXECUTION_SETTING as stored: 0 when absent or not a positive safe integer. */
export function ordersAfterExecution(store: Pick<AgentStore, 'getSetting'>): number {
  const n = Number(store.getSetting(ORDERS_AFTER_EXECUTION_SETTING) ?? '0');
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

export interface AgentStore {
  /**
   * Runs `fn` as one transaction: every write inside commits together, or none does when `fn`
   * throws (the error is re-thrown). Nests (an inner call joins the outer transaction). `fn` must be
   * synchronous.
   */
  transaction<T>(fn: () => T): T;

  /** Inserts or replaces the active response with this key. */
  putActive(active: ActiveResponse): void;
  /**
   * Inserts or replaces each of `actives`, in order (of two with one key the later wins), in one
   * transaction: as the same putActive calls would.
   */
  putActives(actives: readonly ActiveResponse[]): void;
  getActive(key: string): ActiveResponse | undefined;
  /** The active responses of those of `keys` that are active, in one read (any order). */
  getActives(keys: readonly string[]): ActiveResponse[];
  /**
   * As getActives, for a link report (protocol/link-records.ts ReportedActive): `deleteMessage`
   * left out (undefined) exactly where deleteLineOf(addMessage) rebuilds it, so the derivable text
   * is not read at all.
   */
  getReportedActives(keys: readonly string[]): ReportedActive[];
  /**
   * The program of each of `keys`' active responses (undefined where none), aligned with `keys`,
   * in one read without loading their messages: the reverts due in one second find their batch.
   */
  programsOf(keys: readonly string[]): (string | undefined)[];
  /** Removes it; returns the removed record, or undefined when none. */
  removeActive(key: string): ActiveResponse | undefined;
  /**
   * Removes it without reading it back (a plain DELETE): whether a row was removed. For a caller
   * that already holds the row (a batch's revert logs the row its decide step read).
   */
  deleteActive(key: string): boolean;
  /** All active responses, ordered by expiresAt then key. */
  listActive(): ActiveResponse[];
  countActive(): number;
  /**
   * Only the key and deadline of every active response, ordered like listActive: what a restart
   * needs to re-arm 100,000 responses without loading their messages. Column-wise (`keys[i]`
   * expires at `expiresAt[i]`): two flat arrays, not one object per response.
   */
  listDeadlines(): Deadlines;

  /** Repeated-offender counter for a key (0 when never seen). Counters never expire (Wazuh). */
  getOffenderCount(key: string): number;
  setOffenderCount(key: string, count: number): void;
  /**
   * Counts one more offence for a key in one statement and returns the count BEFORE it (what
   * getOffenderCount returned): the get + set of an add under a repeated-offender list.
   */
  countOffence(key: string): number;

  /**
   * Starts a re-apply execution of each listed active response whose program is one of
   * `programs` (others, and keys no longer active, are skipped) in ONE transaction, built from the
   * stored rows without loading their messages. Returns them in `keys` order.
   */
  startReapplies(keys: readonly string[], startedAt: number, programs: readonly string[]): StartedReapply[];
  /**
   * The listed active responses whose program is one of `programs`, in `keys` order, read in one
   * query without loading their messages into JS.
   */
  listReapplyTargets(keys: readonly string[], programs: readonly string[]): ReapplyTarget[];
  /**
   * Records finished re-apply executions (built from the stored rows) in ONE transaction: one
   * statement per group. Returns the new execution ids.
   */
  recordReapplies(groups: readonly ReapplyRecords[]): number[];
  /**
   * The script keys of the responses of `set` in `scope`, joined by `,` in ONE string (one read;
   * nothing is built per response): what a re-apply of 100,000 after a reboot acts on.
   */
  joinedReapplyKeys(scope: ReapplyScope, set: JoinedReapplySet): { count: number; keys: string };
  /**
   * Records the re-apply executions of the responses of `set` in `scope` (the same ones
   * joinedReapplyKeys read) in ONE transaction: one statement for all but the failures, one per
   * failure (`key` = the response's key). Returns the new execution ids.
   */
  recordJoinedReapplies(scope: ReapplyScope, set: JoinedReapplySet, records: JoinedReapplyRecords): number[];
  /** The keys of the responses in `scope` that none of `sets` takes, ordered by deadline then key. */
  otherReapplyKeys(scope: ReapplyScope, sets: readonly JoinedReapplySet[]): string[];
  /** Ends every listed execution with the same outcome, in one statement. */
  endExecutions(ids: readonly number[], end: ExecutionEnd): void;

  /** Records the start of an execution; returns its id. */
  startExecution(start: ExecutionStart): number;
  /**
   * Records the starts of several executions at once (a batch's, in its decide transaction);
   * returns their ids in the same order, increasing, as successive startExecution calls would.
   */
  startExecutions(starts: readonly ExecutionStart[]): number[];
  /**
   * The newest execution recorded for manager order `seq` (ExecutionStart.orderSeq) whose id is
   * above `afterId` (default 0: any), if any. `afterId` leaves out the executions of an earlier
   * enrollment, whose order seqs were another agent id's (link/applied-orders.ts).
   */
  orderExecution(seq: number, afterId?: number): OrderExecution | undefined;
  /** Records the key of a running execution once known (an add learns it at the handshake). */
  setExecutionKey(id: number, key: string): void;
  endExecution(id: number, end: ExecutionEnd): void;
  getExecution(id: number): ExecutionRecord | undefined;
  /** The executions of `ids` that exist, oldest first, in one read (the link's reports). */
  getExecutions(ids: readonly number[]): ExecutionRecord[];
  listExecutions(query?: ExecutionQuery): ExecutionRecord[];
  /** At most `limit` ended (not running) executions with id > `afterId`, oldest first (the link's reports). */
  listEndedExecutionsAfter(afterId: number, limit: number): ExecutionRecord[];
  /** The ids of the running executions with `afterId` < id <= `upToId`, ascending (the link's reports). */
  runningExecutionIds(afterId: number, upToId: number): number[];
  /**
   * The highest order seq a stored execution with an id above `afterId` (default 0: any) came from
   * (ExecutionStart.orderSeq), or a revert mark holds (markRevertOrder); 0 when none. `afterId`:
   * as for orderExecution (the marks of an earlier enrollment are forgotten instead).
   */
  maxOrderSeq(afterId?: number): number;
  /**
   * The highest order seq above `seq` that a revert (a `delete` execution) of `key` came from,
   * among the executions with an id above `afterId` (default 0: any) and the revert marks of `key`
   * (markRevertOrder); undefined when none. An add order below it was created before that revert
   * and reached the agent after it (several manager nodes): it is not applied
   * (agent/execd/later-reverts.ts).
   */
  revertOrderAfter(key: string, seq: number, afterId?: number): number | undefined;
  /**
   * Records that the manager's revert order `seq` of `key` found nothing active here at `at`: no
   * delete execution carries its seq, yet it supersedes an add order of `key` created before it as
   * a revert that ran does (revertOrderAfter, maxOrderSeq count it). The same seq again is one
   * mark. Kept like the executions (about the newest `executionRetention`).
   */
  markRevertOrder(key: string, seq: number, at: number): void;
  /** Forgets every revert mark: this home's orders are numbered anew (a re-enrollment). */
  forgetRevertMarks(): void;
  /**
   * The order seq each execution of `ids` came from (ExecutionStart.orderSeq), for those that
   * have one, in one read: a report sent again (the manager lost it, or this is another process)
   * carries its order's seq, so the manager can end that order (link/agent-link-session.ts).
   */
  orderSeqsOf(ids: readonly number[]): Map<number, number>;
  /**
   * Takes the order seq off every stored execution that came from an order seq above `seq`, and
   * returns how many: the manager numbers this agent's orders only up to `seq` (its store is older
   * than this one), so those were runs of orders its history lacks (link/applied-orders.ts). The
   * revert marks above `seq` go as well, in the same transaction.
   */
  forgetOrderSeqsAbove(seq: number): number;
  /**
   * Marks executions left 'running' by a crash as failed with note "interrupted"; returns them,
   * oldest first, so the agent can reconcile what they left (see Execd.restore).
   */
  failRunningExecutions(now: number): InterruptedExecution[];
  /** Keeps the newest `keep` execution records; returns how many were deleted. */
  pruneExecutions(keep: number): number;

  /** Small key-value settings: boot id, alert-file offsets. */
  getSetting(name: string): string | undefined;
  setSetting(name: string, value: string): void;

  close(): void;
}
