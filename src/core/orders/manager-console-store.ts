/**
 * The part of the manager's persistence port that the web console's views read (part of
 * {@link ManagerStore}, in manager-store.ts): enrollment tokens listed and removed, executions
 * queried with filters and cursor pages over the whole history, per-minute counts by outcome, and
 * the alerts recent orders came from. Promise-returning, like the rest of the port.
 */
import type { FleetExecution } from '../../protocol/fleet-records.js';
import type { JsonObject } from '../../protocol/json.js';

/** Characters of the token hash (hex) that name an enrollment token in lists and removals. */
export const ENROLL_TOKEN_ID_LENGTH = 12;

/** Outcomes the console counts as failures (failing executions, an agent's last error). */
export const FAILED_STATUSES: readonly string[] = ['failed', 'timed-out', 'spawn-error'];

/** An enrollment token as listed: never the token itself, only an id taken from its hash. */
export interface EnrollTokenRecord {
  /** The first {@link ENROLL_TOKEN_ID_LENGTH} hex characters of the token's SHA-256 hash. */
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly usedAt: number | undefined;
}

/** Filters of an execution query; all optional except `limit`. Times are epoch ms. */
export interface ExecutionQuery {
  readonly agentId?: string;
  /** AR name ("firewall-drop600") or the program's basename ("firewall-drop"). */
  readonly command?: string;
  readonly status?: string;
  readonly key?: string;
  readonly alertId?: string;
  /** startedAt >= since */
  readonly since?: number;
  /** startedAt <= until */
  readonly until?: number;
  /** A `nextCursor` from the previous page: continue after it. */
  readonly cursor?: string;
  readonly limit: number;
}

/** One page of executions, most recently received first. */
export interface ExecutionPage {
  readonly items: FleetExecution[];
  /** Set when more rows may follow; opaque to callers. */
  readonly nextCursor: string | undefined;
}

/** Executions received in one minute with one outcome. */
export interface MinuteCount {
  /** Epoch ms of the minute's start. */
  readonly minute: number;
  readonly status: string;
  readonly count: number;
}

/** An add order that came from an alert: its AR message (`payload`) carries the whole alert. */
export interface AlertOrder {
  readonly agentId: string;
  readonly seq: number;
  readonly alertId: string | undefined;
  readonly createdAt: number;
  readonly payload: string;
}

/** An alert that recently caused at least one order (the service's answer, built from {@link AlertOrder}s). */
export interface RecentAlert {
  /** The alert's `id`, when it has one. */
  readonly id: string | undefined;
  /** When its newest order was created (epoch ms). */
  readonly receivedAt: number;
  /** Agents its orders went to. */
  readonly agents: readonly string[];
  /** The whole alert as received (at most one AR message in size). */
  readonly alert: JsonObject;
}

/** An execution with its store number (ascending in insertion order; numbers may be skipped). */
export interface NumberedExecution {
  readonly n: number;
  readonly execution: FleetExecution;
}

export interface ManagerConsoleStore {
  /** Every enrollment token (used and expired included), newest first. */
  listEnrollTokens(): Promise<EnrollTokenRecord[]>;
  /** Deletes the token whose id is `id`; false when there is none (or the id is ambiguous). */
  removeEnrollToken(id: string): Promise<boolean>;
  /** Executions matching `q`, most recently received first, at most `q.limit`. */
  queryExecutions(q: ExecutionQuery): Promise<ExecutionPage>;
  /** Executions received in [since, until), counted per minute and outcome. */
  countExecutionsPerMinute(since: number, until: number): Promise<MinuteCount[]>;
  /** The `limit` most recently received failed executions ({@link FAILED_STATUSES}), over the whole history. */
  recentFailures(limit: number): Promise<FleetExecution[]>;
  /** Each agent's most recently received failed execution (one per agent that has any). */
  lastFailurePerAgent(): Promise<FleetExecution[]>;
  /**
   * Executions numbered above `after` or numbered in `also`, in number order, at most `limit`: the
   * feed of a node whose store other nodes write (store-execution-feed.ts). A number is taken when
   * an insert starts, so a lower one may commit after a higher one: the feed asks again for the
   * numbers it found missing (`also`).
   */
  executionsAfter(after: number, also: readonly number[], limit: number): Promise<NumberedExecution[]>;
  /** The highest execution number stored; 0 when there is none. */
  lastExecutionNumber(): Promise<number>;
  /** The most recent add orders that came from an alert (their payload holds it), newest first. */
  recentAlertOrders(limit: number): Promise<AlertOrder[]>;
}
