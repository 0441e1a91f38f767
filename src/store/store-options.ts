/**
 * Options and argument checks shared by both AgentStore implementations, so the in-memory twin
 * behaves exactly like the durable store (same defaults, same errors, same automatic pruning).
 */
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';

/** Default number of execution records kept by automatic pruning. */
export const DEFAULT_EXECUTION_RETENTION = 100_000;

/**
 * Automatic pruning runs when `startExecution` assigns an id that is a multiple of this, i.e. once
 * every this many executions, counted across restarts (ids are never reused).
 */
export const AUTO_PRUNE_EVERY = 1_000;

/** Default page size of `listExecutions`. */
export const DEFAULT_EXECUTION_LIMIT = 100;

export interface AgentStoreOptions {
  /**
   * Newest execution records kept when automatic pruning runs (every {@link AUTO_PRUNE_EVERY}
   * inserts). Between two prunes the table may hold up to `executionRetention + 999` rows.
   * @default 100000
   */
  readonly executionRetention?: number;
  /** quick_check already passed on the file (quick-check-ahead.ts; see open-database.ts). */
  readonly checkedAhead?: boolean;
}

function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/** @throws RiposteError CONFIG_INVALID when `executionRetention` is not a non-negative integer. */
export function resolveExecutionRetention(opts: AgentStoreOptions | undefined): number {
  const keep = opts?.executionRetention ?? DEFAULT_EXECUTION_RETENTION;
  if (!isCount(keep)) {
    throw new RiposteError(
      ErrorCode.CONFIG_INVALID,
      `Cannot open store: executionRetention must be a non-negative integer, got ${String(keep)}`,
    );
  }
  return keep;
}

/** @throws RiposteError REQUEST_INVALID when `value` (named `what`) is not a non-negative integer. */
export function checkCount(what: string, value: number): number {
  if (!isCount(value)) {
    throw new RiposteError(
      ErrorCode.REQUEST_INVALID,
      `${what} must be a non-negative integer, got ${String(value)}`,
    );
  }
  return value;
}
