/**
 * The manager's only timer: every `everyMs` it expires queued orders past their time-to-live
 * (order-delivery.expireDue). Expiry is stored state, so a restart simply runs the same check.
 */
import type { ManagerContext } from './manager-context.js';
import { expireDue } from './order-delivery.js';

export interface OrderScheduler {
  /** Runs one check now (tests, start-up); resolves to how many orders expired (0 on failure). */
  tick(): Promise<number>;
  stop(): void;
}

/** @param everyMs check period, @default 1000 */
export function startOrderScheduler(ctx: ManagerContext, everyMs = 1000): OrderScheduler {
  /** The running check, if any: a slow store never runs two checks at once. */
  let running: Promise<number> | undefined;
  const check = async (): Promise<number> => {
    if (ctx.cluster?.isLeader() === false) {
      return 0; // a cluster: the lease holder runs it (runtime/cluster-node.ts)
    }
    try {
      return await expireDue(ctx);
    } catch (err: unknown) {
      ctx.log.error(`Order expiry failed: ${err instanceof Error ? err.message : String(err)}`);
      return 0;
    }
  };
  const tick = (): Promise<number> => {
    if (running !== undefined) {
      return running;
    }
    const p = check();
    running = p;
    void p.finally(() => {
      if (running === p) {
        running = undefined;
      }
    });
    return p;
  };
  const timer = setInterval(() => void tick(), everyMs);
  timer.unref();
  void tick();
  return {
    tick,
    stop: () => {
      clearInterval(timer);
    },
  };
}
