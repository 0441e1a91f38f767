/**
 * How long the manager keeps its history (settled orders, execution reports), and how pruning is
 * paced. Which rows a prune may delete is the store's contract (ManagerStore.pruneHistory).
 *
 * Pure: no I/O, no clock (time is a parameter).
 */

/** Default history kept: 30 days, in ms. */
export const DEFAULT_HISTORY_MS = 30 * 24 * 60 * 60 * 1000;

/** Default pruning period: 10 minutes, in ms. */
export const DEFAULT_PRUNE_EVERY_MS = 10 * 60 * 1000;

/**
 * Rows of each kind one store call deletes: small enough that a call is short (SQLite blocks the
 * manager's event loop while it runs), large enough that a day of history goes in a few runs.
 */
export const PRUNE_CHUNK = 2_000;

/** Store calls of one run at most (100,000 rows of each kind); the next run goes on. */
export const PRUNE_CHUNKS_PER_RUN = 50;

/** Rows created (orders) or received (execution reports) before this are history to prune. */
export function historyCutoff(now: number, keepMs: number): number {
  return now - keepMs;
}

/** Whether a run goes on after a call that deleted `pruned` of each kind (a full chunk: maybe more). */
export function morePrunable(pruned: { readonly orders: number; readonly executions: number }): boolean {
  return pruned.orders >= PRUNE_CHUNK || pruned.executions >= PRUNE_CHUNK;
}
