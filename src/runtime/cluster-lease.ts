/**
 * A cluster node's lease on the timers (src/cluster/pg-lease.ts), and the cluster clock it feeds:
 * each renew reads the database's clock (src/cluster/cluster-clock.ts), and the node's log says when
 * the node's own clock is off the database's (its order and agent times use the database's).
 */
import { performance } from 'node:perf_hooks';
import { startPgLease, type Lease } from '../cluster/pg-lease.js';
import { withLimit } from '../exec/with-limit.js';
import { ClusterClock, skewNews } from '../cluster/cluster-clock.js';
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
 * `onReading` is called after each reading of the database's clock.
 */
export function startLease(
  opts: LeaseOptions,
  log: DaemonLog,
  clock: ClusterClock,
  onReading?: () => void,
): Lease {
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
      onReading?.();
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

/** How long a start waits for the first reading of the database's clock, ms (the lease's connect limit). */
export const FIRST_READING_MS = 5_000;

/**
 * A node's cluster clock and the lease whose renews read it, started by whichever of
 * firstReading (before the node listens) and start (attach) comes first.
 */
export class LeasedClock {
  readonly clock = new ClusterClock({ mono: () => performance.now(), wall: Date.now });
  private lease: Lease | undefined;
  private readonly read: Promise<void>;
  private onRead: () => void = () => undefined;

  constructor(private readonly opts: LeaseOptions) {
    this.read = new Promise<void>((resolve) => {
      this.onRead = resolve;
    });
  }

  start(log: DaemonLog): Lease {
    this.lease ??= startLease(this.opts, log, this.clock, this.onRead);
    return this.lease;
  }

  /** Starts the lease; resolves at its first reading, or after FIRST_READING_MS (logged). */
  async firstReading(log: DaemonLog): Promise<void> {
    this.start(log);
    if ((await withLimit(this.read, FIRST_READING_MS)) === 'timeout') {
      log.warn(
        `No reading of the database's clock after ${FIRST_READING_MS / 1000} s: this node stamps order and agent times by its own clock until one comes.`,
      );
    }
  }

  isLeader(): boolean {
    return this.lease?.isLeader() ?? false;
  }

  stop(): Promise<void> {
    return this.lease?.stop() ?? Promise.resolve();
  }
}
