/**
 * The cluster's clock: the shared PostgreSQL's, as each node reads it. Every time one node stamps
 * and another judges crosses nodes: an order's expiry (stamped by the node that stores it, checked
 * by the node that sends it and by the timers' holder), an agent's last sign of life (written by
 * the node holding its link, read by the others for `location=all` and for "connected elsewhere"),
 * an enrollment or API token's expiry. With each node on its own wall clock, a node S seconds ahead
 * held back every handed-off order with less than S seconds left (all of them, once S passed the
 * order ttl), and one behind sent them S seconds too late. On this clock the nodes agree to within
 * a few ms whatever their own clocks say, as the lease (pg-lease.ts) already did for itself.
 *
 * How: every lease renew (each node, every 2 s) also returns the database's `clock_timestamp()`.
 * A reading taken between sending the statement and its answer is the database's time at about
 * the midpoint of that round trip, off by at most half of it. The clock keeps the readings of the
 * last {@link KEEP_MS} and counts from the one with the shortest round trip (a busy event loop
 * that answered late only makes a worse reading, never the one used), forward by the node's
 * monotonic clock: a step of the node's wall clock (an NTP jump, an operator's `date -s`) changes
 * nothing; a step of the database's clock is followed within {@link KEEP_MS} (when the reading
 * counted from ages out). Before the first reading (a node's start waits for it before listening,
 * up to 5 s: runtime/cluster-lease.ts) it is the node's wall clock; a node holds the timers' lease
 * only after a renew, so the timers always run on the database's time. Pure: the two clocks it
 * reads are arguments; no I/O, no timer.
 */

/** How long a reading stays usable, ms: long enough to keep a good one through a busy spell. */
export const KEEP_MS = 30_000;
/** The node's wall clock this far from the cluster's is told (a warning): its clock needs NTP. */
export const SKEW_WARN_MS = 2_000;

/** One reading of the database's clock. */
interface Reading {
  /** Monotonic ms at the midpoint of the round trip. */
  readonly mono: number;
  /** The database's epoch ms read. */
  readonly dbMs: number;
  readonly roundTripMs: number;
}

/** How a node's own clock stands against the cluster's (metrics, stats). */
export interface ClockStatus {
  /** The node's wall clock minus the cluster's, ms (positive: the node runs ahead). */
  readonly skewMs: number;
  /** How far the cluster's time as this node reads it may be off: half the round trip used, ms. */
  readonly uncertaintyMs: number;
}

export interface ClockSources {
  /** Monotonic ms (performance.now). */
  readonly mono: () => number;
  /** The node's own wall clock, epoch ms (Date.now). */
  readonly wall: () => number;
}

export class ClusterClock {
  private readings: Reading[] = [];
  private best: Reading | undefined;

  constructor(private readonly sources: ClockSources) {}

  /**
   * The cluster's time now, epoch ms (integer). Bound: pass `clock.now` as a callback.
   */
  readonly now = (): number => {
    const b = this.best;
    return b === undefined ? this.sources.wall() : Math.round(b.dbMs + (this.sources.mono() - b.mono));
  };

  /**
   * A reading of the database's clock: `dbMs` (epoch ms) answered a statement sent at monotonic
   * `sentMono` and answered at `answeredMono`. Ignored when not a finite time or answered before sent.
   */
  observe(sentMono: number, dbMs: number, answeredMono: number): void {
    if (!Number.isFinite(dbMs) || !(answeredMono >= sentMono)) {
      return;
    }
    const r: Reading = { mono: (sentMono + answeredMono) / 2, dbMs, roundTripMs: answeredMono - sentMono };
    this.readings = this.readings.filter((x) => answeredMono - x.mono <= KEEP_MS);
    this.readings.push(r);
    this.best = this.readings.reduce((a, b) => (b.roundTripMs <= a.roundTripMs ? b : a));
  }

  /**
   * The node's clock against the cluster's; undefined before the first reading (then {@link now}
   * is the node's own clock).
   */
  status(): ClockStatus | undefined {
    return this.best === undefined
      ? undefined
      : { skewMs: this.skewMs(), uncertaintyMs: this.best.roundTripMs / 2 };
  }

  /** The node's wall clock minus the cluster's, ms (positive: the node runs ahead); 0 before a reading. */
  skewMs(): number {
    return this.best === undefined ? 0 : this.sources.wall() - this.now();
  }
}

/**
 * What to tell about the node's clock after a reading, given the skew last warned about
 * (`warnedAt`; undefined: none, or back in step since): a
 * warning when it is {@link SKEW_WARN_MS} or more off the cluster's and was not (or no longer
 * about as far off: a change of a second or more), a note when it is back within half of that.
 */
export function skewNews(
  skewMs: number,
  warnedAt: number | undefined,
): { readonly text: string; readonly warn: boolean; readonly warnedAt: number | undefined } | undefined {
  const off = Math.abs(skewMs) >= SKEW_WARN_MS;
  if (off && (warnedAt === undefined || Math.abs(skewMs - warnedAt) >= 1_000)) {
    const s = (Math.abs(skewMs) / 1000).toFixed(1);
    return {
      text:
        `This node's clock is ${s} s ${skewMs > 0 ? 'ahead of' : 'behind'} the database's; ` +
        'order and agent times use the database clock (sync this host with NTP).',
      warn: true,
      warnedAt: skewMs,
    };
  }
  if (warnedAt !== undefined && Math.abs(skewMs) < SKEW_WARN_MS / 2) {
    return { text: "This node's clock agrees with the database's again.", warn: false, warnedAt: undefined };
  }
  return undefined;
}
