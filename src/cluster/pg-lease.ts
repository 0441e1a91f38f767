/**
 * Cluster-wide timers run on one node at a time: the holder of a time-based lease, the `timers`
 * row of `cluster_leases` (PostgreSQL migration 8). Every `everyMs` each node sends one statement
 * that takes the row if it is free or past its `expires_at`, or extends it if the node holds it,
 * to the database's clock + `ttlMs`; no row back means another node holds it. Expiry is judged by
 * the database's clock alone, so the nodes' clocks may disagree.
 *
 * A node acts as the holder only while its monotonic clock is within `ttlMs` minus a margin of
 * the moment it sent its last successful renew (lease-clock.ts): earlier than the database's
 * `expires_at`, so it steps down before another node can take over. A node that was stopped
 * (SIGSTOP) for longer than that knows it is no longer the holder as soon as it runs again, before
 * any renew; its next renew then fails if another node took the lease meanwhile. (A paused VM
 * whose monotonic clock skips the pause learns it from that failed renew instead.)
 * (A session-level advisory lock, used before, stayed with a stopped node: its kernel kept the
 * session alive.) The cost: a node killed outright hands the timers over after up to `ttlMs` plus
 * one period, not at the end of its session. `stop()` deletes the row, so a node shut down
 * cleanly hands over at the next try of another node; when its connection is down at that moment
 * (a PostgreSQL restart, a network blip) and the row may be ours, it opens one just for the
 * delete, within RELEASE_WAIT_MS.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import pg from 'pg';
import { keepaliveOptions } from '../store/pg-session-options.js';
import { connectOrClose, pgConfig } from '../store/pg-connect.js';
import { leaseHeld, leaseTimes, type LeaseTimes } from './lease-clock.js';
import { withLimit } from '../exec/with-limit.js';
import { errorMessage } from '../protocol/error-message.js';

export interface Lease {
  /** True while this node holds the lease (a read of the monotonic clock, no I/O). */
  isLeader(): boolean;
  /** Releases the lease; never throws (an unreachable database lets it expire instead). */
  stop(): Promise<void>;
}

export interface PgLeaseOptions {
  readonly connectionString: string;
  /** Renew / try period, ms. @default 2000 */
  readonly everyMs?: number;
  /** How long a renew holds the lease, ms; at least 2 × everyMs. @default 5 × everyMs */
  readonly ttlMs?: number;
  /** Told when this node becomes or stops being the holder (a lease run out included). */
  readonly onChange?: (leader: boolean) => void;
  readonly onWarn?: (text: string) => void;
  /**
   * Each renew's reading of the database's clock: `dbMs` (epoch ms) answered a statement sent at
   * monotonic `sentMono` (performance.now) and answered at `answeredMono` (ClusterClock.observe).
   */
  readonly onDbTime?: (sentMono: number, dbMs: number, answeredMono: number) => void;
}

/** The row of the cluster's timers in `cluster_leases`. */
const TIMERS_LEASE = 'timers';

/** How long stop() waits for the release before closing the connection anyway. */
const RELEASE_WAIT_MS = 2_000;

/**
 * Takes the row if free or expired, extends it if ours. One row back: `holder` is ours only when we
 * hold it (null when another node does), `db_ms` the database's clock (epoch ms) for the cluster
 * clock (cluster-clock.ts).
 */
const RENEW_SQL = `
WITH renewed AS (
  INSERT INTO cluster_leases AS l (name, holder, expires_at)
  VALUES ($1, $2, clock_timestamp() + $3::float8 * interval '1 millisecond')
  ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
    WHERE l.holder = EXCLUDED.holder OR l.expires_at < clock_timestamp()
  RETURNING holder)
SELECT (SELECT holder FROM renewed) AS holder,
  (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS db_ms`;

const RELEASE_SQL = 'DELETE FROM cluster_leases WHERE name = $1 AND holder = $2';

/**
 * Starts trying to take the lease at once, then every `everyMs`.
 * @throws RangeError on bad periods (lease-clock.ts leaseTimes)
 */
export function startPgLease(opts: PgLeaseOptions): Lease {
  return new PgLease(opts, leaseTimes(opts));
}

class PgLease implements Lease {
  private client: pg.Client | undefined;
  /** performance.now() when the last renew that returned our row was sent. */
  private renewSentAt: number | undefined;
  /** The row may be ours: a renew was sent and no answer since said it is another node's. */
  private mayHold = false;
  /** What onChange was last told. */
  private told = false;
  private stopped = false;
  /** The try under way, if any: one at a time, and stop() waits for it before the release. */
  private inFlight: Promise<void> | undefined;
  /** Unique per lease: two leases of one process (tests) are two holders. */
  private readonly holder = `${hostname()}/${process.pid}/${randomUUID()}`;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly opts: PgLeaseOptions,
    private readonly times: LeaseTimes,
  ) {
    this.timer = setInterval(() => {
      this.tick();
    }, times.everyMs);
    this.timer.unref();
    this.tick();
  }

  isLeader(): boolean {
    return !this.stopped && leaseHeld(this.renewSentAt, this.times, performance.now());
  }

  /** Tells onChange when isLeader() differs from what it was last told. */
  private report(): void {
    const now = this.isLeader();
    if (now !== this.told) {
      this.told = now;
      this.opts.onChange?.(now);
    }
  }

  /**
   * Forgets the connection after an error; the next tick opens another. The lease is kept by
   * time: the row stays ours until it expires, and no other node can take it before.
   */
  private drop(why: string): void {
    const c = this.client;
    this.client = undefined;
    if (!this.stopped) {
      this.opts.onWarn?.(`Cluster lease: ${why}`);
    }
    void c?.end().catch(() => undefined);
  }

  /** A connection of the lease's own (named so in pg_stat_activity), with these time limits. */
  private newClient(connectMs: number, queryMs: number): pg.Client {
    return new pg.Client(
      pgConfig(this.opts.connectionString, {
        application_name: 'riposte lease',
        options: keepaliveOptions(),
        connectionTimeoutMillis: connectMs,
        query_timeout: queryMs,
        keepAlive: true,
      }),
    );
  }

  private async open(): Promise<pg.Client> {
    const c = this.newClient(5_000, 10_000);
    c.on('error', (err) => {
      if (this.client === c) {
        this.drop(err.message);
      }
    });
    await connectOrClose(c);
    if (this.stopped) {
      // stop() came while this connected: the connection must not outlive it, nor take the lease.
      await c.end().catch(() => undefined);
      throw new Error('the lease was stopped');
    }
    this.client = c;
    return c;
  }

  /** One renew (or try). A renew sent but not answered leaves renewSentAt as it was: conservative. */
  private async renew(c: pg.Client): Promise<void> {
    const sentAt = performance.now();
    this.mayHold = true;
    const r = await c.query<{ holder: string | null; db_ms: number }>(RENEW_SQL, [
      TIMERS_LEASE,
      this.holder,
      this.times.ttlMs,
    ]);
    const answeredAt = performance.now();
    const row = r.rows[0];
    this.renewSentAt = row?.holder === this.holder ? sentAt : undefined;
    this.mayHold = this.renewSentAt !== undefined;
    if (row !== undefined) {
      this.opts.onDbTime?.(sentAt, row.db_ms, answeredAt);
    }
  }

  private tick(): void {
    this.report(); // a lease run out (a pause, renews failing) is told before anything else
    if (this.inFlight !== undefined || this.stopped) {
      return;
    }
    this.inFlight = this.attempt().finally(() => {
      this.inFlight = undefined;
      this.report();
    });
  }

  /** Connects if needed and renews; never rejects (a failure drops the connection). */
  private async attempt(): Promise<void> {
    try {
      await this.renew(this.client ?? (await this.open()));
    } catch (err: unknown) {
      this.drop(errorMessage(err));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.report();
    // A renew under way finishes first (or its connection is closed under it if it hangs).
    await settledWithin(this.inFlight, RELEASE_WAIT_MS);
    const c = this.client;
    this.client = undefined;
    if (c === undefined) {
      // The connection failed (or never opened): if the row may be ours, delete it on a new one
      // rather than leave the other nodes without timers until it expires.
      if (this.mayHold && this.inFlight === undefined) {
        this.mayHold = false; // once: a second stop() does not connect again
        await settledWithin(this.releaseOnce(), RELEASE_WAIT_MS);
      }
      return;
    }
    if (this.inFlight === undefined) {
      await settledWithin(c.query(RELEASE_SQL, [TIMERS_LEASE, this.holder]), RELEASE_WAIT_MS);
    }
    await c.end().catch(() => undefined);
  }

  /** The release on a connection of its own, closed after it (or when it fails). */
  private async releaseOnce(): Promise<void> {
    const c = this.newClient(RELEASE_WAIT_MS, RELEASE_WAIT_MS);
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.query(RELEASE_SQL, [TIMERS_LEASE, this.holder]);
    } finally {
      await c.end().catch(() => undefined);
    }
  }
}

/** Resolves when `p` (if any) settles, either way, or after `ms`, whichever comes first. */
async function settledWithin(p: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (p !== undefined) {
    await withLimit(p.then(noop, noop), ms);
  }
}

function noop(): void {
  return undefined;
}
