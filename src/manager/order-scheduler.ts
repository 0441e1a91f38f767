/**
 * The manager's only timer. Every `everyMs` it expires queued orders past their time-to-live
 * (order-delivery.expireDue); every `history.everyMs` it deletes the history older than
 * `history.keepMs` (ManagerStore.pruneHistory, in chunks). Both are stored state, so a restart
 * simply runs the same checks. In a cluster only the lease holder runs them.
 */
import type { PrunedHistory } from '../core/orders/manager-store.js';
import {
  DEFAULT_HISTORY_MS,
  DEFAULT_PRUNE_EVERY_MS,
  PRUNE_CHUNK,
  historyCutoff,
  morePrunable,
} from '../core/orders/history-retention.js';
import type { ManagerContext } from './manager-context.js';
import { expireDue } from './order-delivery.js';
import { pruneInChunks } from './prune-chunks.js';
import { errorMessage } from '../protocol/error-message.js';

export interface HistoryOptions {
  /** How long settled orders and execution reports are kept, ms. @default 30 days */
  readonly keepMs?: number;
  /** Pruning period, ms. @default 10 min */
  readonly everyMs?: number;
}

export interface OrderScheduler {
  /** Runs one expiry check now (tests, start-up); resolves to how many orders expired (0 on failure). */
  tick(): Promise<number>;
  /** Runs one history prune now; resolves to what it deleted (nothing on failure or off the lease). */
  prune(): Promise<PrunedHistory>;
  stop(): void;
}

const NOTHING: PrunedHistory = { orders: 0, executions: 0 };

/** `fn` never runs twice at once: a call while it runs gets the running one's result. */
function single<T>(fn: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  return () => {
    if (running !== undefined) {
      return running;
    }
    const p = fn();
    running = p;
    void p.finally(() => {
      if (running === p) {
        running = undefined;
      }
    });
    return p;
  };
}

/** Off the lease in a cluster: the lease holder runs the timers (runtime/cluster-node.ts). */
function offLease(ctx: ManagerContext): boolean {
  return ctx.cluster?.isLeader() === false;
}

/**
 * One prune run: store calls in chunks (prune-chunks.ts) until one deletes less than a full chunk
 * of each kind, or `goOn` turns false (stopped, lease not held: then no call at all).
 */
async function pruneRun(ctx: ManagerContext, keepMs: number, goOn: () => boolean): Promise<PrunedHistory> {
  const before = historyCutoff(ctx.now(), keepMs);
  const chunks = await pruneInChunks(() => ctx.store.pruneHistory(before, PRUNE_CHUNK), morePrunable, goOn);
  const orders = chunks.reduce((sum, c) => sum + c.orders, 0);
  const executions = chunks.reduce((sum, c) => sum + c.executions, 0);
  if (orders + executions > 0) {
    ctx.log.info(
      `History: deleted ${orders} settled order(s) and ${executions} execution report(s) older than ${new Date(before).toISOString()}.`,
    );
    ctx.emit({ type: 'history-pruned', orders, executions });
  }
  return { orders, executions };
}

/** @param everyMs expiry check period, @default 1000 */
export function startOrderScheduler(
  ctx: ManagerContext,
  everyMs = 1000,
  history: HistoryOptions = {},
): OrderScheduler {
  const tick = single(async () => {
    if (offLease(ctx)) {
      return 0;
    }
    try {
      return await expireDue(ctx);
    } catch (err: unknown) {
      ctx.log.error(`Order expiry failed: ${errorMessage(err)}`);
      return 0;
    }
  });
  const keepMs = history.keepMs ?? DEFAULT_HISTORY_MS;
  let stopped = false;
  const prune = single(async () => {
    try {
      return await pruneRun(ctx, keepMs, () => !stopped && !offLease(ctx));
    } catch (err: unknown) {
      ctx.log.error(`History pruning failed: ${errorMessage(err)}`);
      return NOTHING;
    }
  });
  const timer = setInterval(() => void tick(), everyMs);
  timer.unref();
  const pruneTimer = setInterval(() => void prune(), history.everyMs ?? DEFAULT_PRUNE_EVERY_MS);
  pruneTimer.unref();
  void tick();
  return {
    tick,
    prune,
    stop: () => {
      stopped = true;
      clearInterval(timer);
      clearInterval(pruneTimer);
    },
  };
}
