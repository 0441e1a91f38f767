/**
 * Turns a synchronous manager store (better-sqlite3: one connection, every statement blocks) into
 * the asynchronous ManagerStore port. One connection means one transaction at a time, so:
 * - a call made inside `batch(fn)` (from fn's async context, tracked with AsyncLocalStorage) runs
 *   at once, inside the open transaction;
 * - a call from anywhere else while a batch is open (or queued) waits until it has committed or
 *   rolled back, so a batch never commits, or rolls back, another flow's writes;
 * - with no batch open, a call runs at once (its own implicit transaction).
 * Batches run one after the other (BEGIN IMMEDIATE ... COMMIT, ROLLBACK when fn rejects).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type Database from 'better-sqlite3';
import type { ManagerStore } from '../core/orders/manager-store.js';

/**
 * The port's methods minus batch/close (and its batchConcurrency property), each returning its value directly (or a promise settled
 * by synchronous work: the call still runs entirely inside the gate).
 */
export type SyncManagerStore = {
  [K in Exclude<keyof ManagerStore, 'batch' | 'close' | 'batchConcurrency'>]: ManagerStore[K] extends (
    ...args: infer A
  ) => Promise<infer R>
    ? (...args: A) => R | Promise<R>
    : never;
};

type MethodName = keyof SyncManagerStore;

/** Every method of the port; the type check below fails when one is missing. */
const METHODS = [
  'nextAgentId',
  'insertAgent',
  'getAgent',
  'getAgentsByFingerprints',
  'listAgents',
  'agentPresence',
  'markAgentRemoved',
  'updateAgentSeen',
  'updateAgentsSeen',
  'activeAgentNamed',
  'addEnrollToken',
  'checkEnrollToken',
  'useEnrollToken',
  'enqueueOrder',
  'enqueueOrders',
  'getOrder',
  'getOrders',
  'queuedOrders',
  'getOrdersOf',
  'queuedOrdersOf',
  'lastOrderSeqs',
  'updateOrder',
  'updateOrders',
  'ackOrders',
  'expireOrders',
  'expirableOrders',
  'executedOrdersWithKey',
  'executedKeyedOrders',
  'listOrders',
  'countOrdersByState',
  'pruneHistory',
  'recordExecution',
  'recordExecutions',
  'lastExecutionId',
  'lastExecutionIds',
  'listExecutions',
  'putActive',
  'putActives',
  'removeActive',
  'replaceActive',
  'listActive',
  'activeKeysOf',
  'countActive',
  'getSetting',
  'setSetting',
  'takeSetting',
  // ManagerConsoleStore (sqlite-manager-console.ts)
  'listEnrollTokens',
  'removeEnrollToken',
  'queryExecutions',
  'countExecutionsPerMinute',
  'recentFailures',
  'lastFailurePerAgent',
  'executionsAfter',
  'lastExecutionNumber',
  'recentAlertOrders',
] as const satisfies readonly MethodName[];
type Listed = (typeof METHODS)[number];
/** Compile-time check: a port method absent from METHODS makes this `false` (and the line below fail). */
export const EVERY_METHOD_LISTED: [MethodName] extends [Listed] ? true : false = true;

function settle<T>(op: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(op());
  } catch (err: unknown) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

class Gate {
  private readonly inside = new AsyncLocalStorage<Gate>();
  private tail: Promise<void> = Promise.resolve();
  /** Batches and waiting calls not finished yet. */
  private pending = 0;

  constructor(private readonly db: Database.Database) {}

  /** Runs `op` now when allowed, else after the open/queued batches. */
  call<T>(op: () => T | Promise<T>): Promise<T> {
    if (this.pending === 0 || this.inside.getStore() === this) {
      return settle(op);
    }
    return this.exclusive(() => settle(op));
  }

  batch<T>(store: ManagerStore, fn: (tx: ManagerStore) => Promise<T>): Promise<T> {
    if (this.inside.getStore() === this) {
      return fn(store); // nested: joins the open transaction
    }
    return this.exclusive(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const out = await this.inside.run(this, () => fn(store));
        this.db.exec('COMMIT');
        return out;
      } catch (err: unknown) {
        if (this.db.inTransaction) {
          this.db.exec('ROLLBACK');
        }
        throw err;
      }
    });
  }

  private exclusive<T>(job: () => Promise<T>): Promise<T> {
    this.pending++;
    const run = this.tail.then(job);
    const done = (): void => {
      this.pending--;
    };
    this.tail = run.then(done, done);
    return run;
  }

  /** Resolves once every batch and queued call has finished. */
  drained(): Promise<void> {
    return this.tail;
  }
}

/** The async port over `ops` (whose methods run on `db`); `close` closes `db` after the queue. */
export function gatedManagerStore(db: Database.Database, ops: SyncManagerStore): ManagerStore {
  const gate = new Gate(db);
  const store = {} as Record<string, unknown>;
  for (const name of METHODS) {
    const method = ops[name] as (...args: unknown[]) => unknown;
    store[name] = (...args: unknown[]) => gate.call(() => method.apply(ops, args));
  }
  const port = store as unknown as ManagerStore;
  store['batchConcurrency'] = 1; // one connection: batches run one after another
  store['batch'] = <T>(fn: (tx: ManagerStore) => Promise<T>): Promise<T> => gate.batch(port, fn);
  store['close'] = async (): Promise<void> => {
    await gate.drained();
    db.close();
  };
  return port;
}
