/**
 * The manager's only timer: every `everyMs` it expires queued orders past their time-to-live
 * (order-delivery.expireDue). Expiry is stored state, so a restart simply runs the same check.
 */
import type { ManagerContext } from './manager-context.js';
import { expireDue } from './order-delivery.js';

export interface OrderScheduler {
  /** Runs one check now (tests, start-up); returns how many orders expired. */
  tick(): number;
  stop(): void;
}

/** @param everyMs check period, @default 1000 */
export function startOrderScheduler(ctx: ManagerContext, everyMs = 1000): OrderScheduler {
  const tick = (): number => {
    if (ctx.cluster?.isLeader() === false) {
      return 0; // a cluster: the lease holder runs it (runtime/cluster-node.ts)
    }
    try {
      return expireDue(ctx);
    } catch (err: unknown) {
      ctx.log.error(`Order expiry failed: ${err instanceof Error ? err.message : String(err)}`);
      return 0;
    }
  };
  const timer = setInterval(tick, everyMs);
  timer.unref();
  tick();
  return {
    tick,
    stop: () => {
      clearInterval(timer);
    },
  };
}
