/**
 * A cluster node's lease on the timers (src/cluster/pg-lease.ts), and the cluster clock it feeds:
 * each renew reads the database's clock (src/cluster/cluster-clock.ts), and the node's log says when
 * the node's own clock is off the database's (its order and agent times use the database's).
 */
import { startPgLease, type Lease } from '../cluster/pg-lease.js';
import { skewNews, type ClusterClock } from '../cluster/cluster-clock.js';
import type { DaemonLog } from '../log/daemon-log.js';

export interface LeaseOptions {
  /** postgres://... of the shared store. */
  readonly storeUrl: string;
  /** Renew/try period, ms. @default 2000 */
  readonly leaseEveryMs?: number;
}

/**
 * The timers' lease. Its table comes from the store's migrations (version 8), applied when the
 * runtime opened the store, before `attach` starts this: one owner of the schema, and a lease
 * that never issues DDL against a store of another version. Started before its table exists
 * anyway, it warns and tries again each period (and `clock` keeps the node's wall clock meanwhile).
 */
export function startLease(opts: LeaseOptions, log: DaemonLog, clock: ClusterClock): Lease {
  let warnedAt: number | undefined;
  return startPgLease({
    connectionString: opts.storeUrl,
    ...(opts.leaseEveryMs !== undefined ? { everyMs: opts.leaseEveryMs } : {}),
    onChange: (leader) => {
      log.info(
        leader ? 'This node now runs the cluster timers.' : 'This node no longer runs the cluster timers.',
      );
    },
    onWarn: (t) => {
      log.warn(t);
    },
    onDbTime: (sentMono, dbMs, answeredMono) => {
      clock.observe(sentMono, dbMs, answeredMono);
      const news = skewNews(clock.skewMs(), warnedAt);
      if (news !== undefined) {
        warnedAt = news.warnedAt;
        if (news.warn) {
          log.warn(news.text);
        } else {
          log.info(news.text);
        }
      }
    },
  });
}
