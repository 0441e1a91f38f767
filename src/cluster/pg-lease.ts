/**
 * Cluster-wide timers run on one node at a time: the node holding a PostgreSQL session-level
 * advisory lock (`pg_try_advisory_lock`) on its own connection is the leader. If that node dies
 * or loses its connection, PostgreSQL ends the session and frees the lock, and another node takes
 * it at its next try (every `everyMs`). The leader checks its connection each period and steps
 * down at the first failure; the lock is gone with the session, so two leaders overlap by at most
 * one period, which the timers tolerate (order expiry is idempotent).
 */
import pg from 'pg';
import { keepaliveOptions } from '../store/pg-session-options.js';

/** Advisory lock key of the cluster's timers ("riposte" in ASCII as a number). */
export const TIMERS_LOCK_KEY = '32204078972105829';

export interface Lease {
  /** True while this node holds the lock. */
  isLeader(): boolean;
  stop(): Promise<void>;
}

export interface PgLeaseOptions {
  readonly connectionString: string;
  /** Try / check period, ms. @default 2000 */
  readonly everyMs?: number;
  readonly onChange?: (leader: boolean) => void;
  readonly onWarn?: (text: string) => void;
}

/** A lease that is always held: one node on SQLite is its own cluster. */
export const SOLE_NODE_LEASE: Lease = { isLeader: () => true, stop: () => Promise.resolve() };

export function startPgLease(opts: PgLeaseOptions): Lease {
  return new PgLease(opts);
}

class PgLease implements Lease {
  private client: pg.Client | undefined;
  private leader = false;
  private stopped = false;
  private busy = false;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly opts: PgLeaseOptions) {
    this.timer = setInterval(() => void this.tick(), opts.everyMs ?? 2_000);
    this.timer.unref();
    void this.tick();
  }

  isLeader(): boolean {
    return this.leader;
  }

  private setLeader(v: boolean): void {
    if (v !== this.leader) {
      this.leader = v;
      this.opts.onChange?.(v);
    }
  }

  private drop(why: string): void {
    const c = this.client;
    this.client = undefined;
    this.setLeader(false);
    if (!this.stopped) {
      this.opts.onWarn?.(`Cluster lease: ${why}`);
    }
    void c?.end().catch(() => undefined);
  }

  private async open(): Promise<pg.Client> {
    const c = new pg.Client({
      connectionString: this.opts.connectionString,
      application_name: 'riposte lease',
      options: keepaliveOptions(),
      connectionTimeoutMillis: 5_000,
      query_timeout: 10_000,
      keepAlive: true,
    });
    c.on('error', (err) => {
      if (this.client === c) {
        this.drop(err.message);
      }
    });
    await c.connect();
    if (this.stopped) {
      // stop() came while this connected: the connection must not outlive it, nor take the lock.
      await c.end().catch(() => undefined);
      throw new Error('the lease was stopped');
    }
    this.client = c;
    return c;
  }

  private async tick(): Promise<void> {
    if (this.busy || this.stopped) {
      return;
    }
    this.busy = true;
    try {
      const c = this.client ?? (await this.open());
      if (this.leader) {
        await c.query('SELECT 1');
      } else {
        const r = await c.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${TIMERS_LOCK_KEY}) AS ok`);
        this.setLeader(r.rows[0]?.ok === true);
      }
    } catch (err: unknown) {
      this.drop(err instanceof Error ? err.message : String(err));
    } finally {
      this.busy = false;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    const c = this.client;
    this.client = undefined;
    this.setLeader(false);
    await c?.end().catch(() => undefined);
  }
}
