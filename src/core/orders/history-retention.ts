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
 * manager's event loop while it runs, 10-50 ms here; PostgreSQL ~20 ms), and a run makes calls
 * until one deletes less than this of each: a run keeps up with any rate of new history (10,000
 * orders/s is 6 million every 10 minutes).
 */
export const PRUNE_CHUNK = 2_000;

/** Rows created (orders) or received (execution reports) before this are history to prune. */
export function historyCutoff(now: number, keepMs: number): number {
  return now - keepMs;
}

/** Whether a run goes on after a call that deleted `pruned` of each kind (a full chunk: maybe more). */
export function morePrunable(pruned: { readonly orders: number; readonly executions: number }): boolean {
  return pruned.orders >= PRUNE_CHUNK || pruned.executions >= PRUNE_CHUNK;
}
