/**
 * What the manager store's PostgreSQL class builds on: the connection pool, the transaction of an
 * open `batch` (tracked with AsyncLocalStorage, so calls made from the batch's async context, on
 * `tx` or on the store itself, run on its connection), and the small key/value settings.
 *
 * Outside a batch each call is one statement on a pooled connection (autocommit), or one
 * transaction of its own when it needs several statements (`atomically`). Calls made elsewhere
 * while a batch is open run on other connections, in their own transactions: a batch never
 * commits or rolls back another flow's writes.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import type { ManagerStore } from '../core/orders/manager-store.js';
import { IDLE_IN_TRANSACTION_TIMEOUT_MS, storeSessionOptions } from './pg-session-options.js';
import { pgConfig } from './pg-connect.js';
import { pgParams } from './pg-text.js';
import { pgTransaction } from './pg-transaction.js';

/** BIGINT (epoch ms, seqs, counts) read as a JS number: every value the store keeps is < 2^53. */
const INT8_OID = 20;
const parseInt8 = (v: string): number => Number(v);
const builtinParser = pg.types.getTypeParser as (oid: number, format?: string) => (value: string) => unknown;
const TYPES = {
  getTypeParser: (oid: number, format?: string) =>
    oid === INT8_OID && format !== 'binary' ? parseInt8 : builtinParser(oid, format),
} as unknown as pg.CustomTypesConfig;

/** The open transaction of a batch; `open` turns false at commit/rollback (late calls use the pool). */
interface Tx {
  readonly client: pg.PoolClient;
  open: boolean;
}

export interface PgManagerOptions {
  /** Schema holding the store's tables (created when missing); default: the server's search_path. */
  readonly schema?: string;
  /** Pool size (default 10). */
  readonly maxConnections?: number;
  /**
   * How long PostgreSQL lets one of these connections sit idle inside a transaction before it ends
   * the session (pg-session-options.ts), ms; default 30 s.
   */
  readonly idleInTransactionTimeoutMs?: number;
  /** Client-side limit on each statement of the pool (poolConfig), ms; default 60 s. */
  readonly queryTimeoutMs?: number;
  /**
   * The connections' `application_name` (what pg_stat_activity shows), default "riposte store";
   * an application_name in the URL wins.
   */
  readonly applicationName?: string;
}

/** `name` as a quoted SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Riposte's own settings of a store connection, before the URL's are laid over them (pgConfig,
 * pg-connect.ts): search_path set when a schema is given. Every connection runs with `jit = off`:
 * the store's statements are short, and the planner's cost estimates on tables a burst has just
 * filled (statistics not yet refreshed by autovacuum) crossed `jit_above_cost`, so a 0.1 ms read
 * of queued orders was compiled by LLVM first (25 ms of CPU). And with the keepalives and
 * idle-in-transaction timeout of pg-session-options.ts.
 */
export function connectionConfig(opts: PgManagerOptions): pg.ClientConfig {
  const options = ['-c jit=off'];
  if (opts.schema !== undefined) {
    options.push(`-c search_path=${quoteIdent(opts.schema)}`);
  }
  return {
    types: TYPES,
    options: storeSessionOptions(options, opts.idleInTransactionTimeoutMs ?? IDLE_IN_TRANSACTION_TIMEOUT_MS),
    application_name: opts.applicationName ?? 'riposte store',
  };
}

/**
 * The pool configuration for `url`: connectionConfig with the URL's settings (pgConfig), and a
 * client-side limit on every statement (`queryTimeoutMs`, default 60 s). A connection that died
 * silently (its network cut, the server's host gone) would otherwise leave its statement, and
 * whatever waits on it (the cluster sweep, an ingest), waiting for as long as TCP keeps trying;
 * the statement fails instead and its connection is discarded. The store's statements take
 * milliseconds; migrations, which may take long on a large store, run on a connection of their own
 * without the limit (openMigratedPool).
 */
export function poolConfig(url: string, opts: PgManagerOptions): pg.PoolConfig {
  return {
    ...pgConfig(url, connectionConfig(opts)),
    max: opts.maxConnections ?? 10,
    query_timeout: opts.queryTimeoutMs ?? 60_000,
    keepAlive: true,
  };
}

export abstract class PgManagerBase {
  private readonly tx = new AsyncLocalStorage<Tx>();
  /** Concurrent batches: up to 4, leaving half the pool to calls made outside them. */
  readonly batchConcurrency: number;

  constructor(protected readonly pool: pg.Pool) {
    this.batchConcurrency = Math.max(1, Math.min(4, Math.floor((pool.options.max ?? 10) / 2)));
  }

  /**
   * One statement: on the open batch's connection when called from it, else on the pool. With a
   * `name` (one per SQL text, a constant), a prepared statement of that connection: parsed
   * and analysed once per connection, not at every call (the hot statements of ingest and the link).
   * Its string parameters are made pgText (pg-text.ts: no NUL, no lone surrogate); a `jsonb` one
   * is the caller's to make pgJsonText.
   */
  protected async run<R extends pg.QueryResultRow>(
    sql: string,
    values: readonly unknown[] = [],
    name?: string,
  ): Promise<pg.QueryResult<R>> {
    const open = this.tx.getStore();
    const on = open?.open === true ? open.client : this.pool;
    const params = pgParams(values);
    return name === undefined ? on.query<R>(sql, params) : on.query<R>({ name, text: sql, values: params });
  }

  protected async rows<R extends pg.QueryResultRow>(
    sql: string,
    values: readonly unknown[] = [],
    name?: string,
  ): Promise<R[]> {
    return (await this.run<R>(sql, values, name)).rows;
  }

  /** True when called from an open batch's (or `atomically`'s) transaction. */
  protected inTransaction(): boolean {
    return this.tx.getStore()?.open === true;
  }

  /** Several statements as one transaction: the open batch's, or one of their own. */
  protected atomically<T>(fn: () => Promise<T>): Promise<T> {
    return this.transaction(fn);
  }

  /** Runs `fn` in one transaction on one connection; joins the open one when called from it. */
  protected async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.tx.getStore()?.open === true) {
      return fn();
    }
    let tx: Tx | undefined;
    return pgTransaction(
      this.pool,
      (client) => {
        tx = { client, open: true };
        return this.tx.run(tx, fn);
      },
      () => {
        if (tx !== undefined) {
          tx.open = false;
        }
      },
    );
  }

  batch<T>(fn: (tx: ManagerStore) => Promise<T>): Promise<T> {
    return this.transaction(() => fn(this as unknown as ManagerStore));
  }

  async getSetting(key: string): Promise<string | undefined> {
    return (await this.rows<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]))[0]?.value;
  }

  async setSetting(key: string, value: string): Promise<void> {
    await this.run(
      'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value',
      [key, value],
    );
  }

  async takeSetting(key: string): Promise<string | undefined> {
    return (
      await this.rows<{ value: string }>('DELETE FROM settings WHERE key = $1 RETURNING value', [key])
    )[0]?.value;
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
