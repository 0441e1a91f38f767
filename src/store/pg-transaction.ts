/**
 * One PostgreSQL transaction on one pooled connection: BEGIN, `fn`, COMMIT; ROLLBACK when `fn`
 * rejects. A connection cut mid-transaction (a PostgreSQL restart), or whose ROLLBACK fails, is
 * marked broken so that release discards it instead of handing it out again. The manager store's
 * transactions (pg-manager-base.ts) and the API store's revoke (pg-api-store.ts) go through it.
 */
import type pg from 'pg';

/**
 * Runs `fn` on a connection inside a transaction. `ended`, if given, runs once the transaction is
 * over (committed or rolled back), before the connection goes back to the pool.
 */
export async function pgTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
  ended?: () => void,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // The failed query rejects; the error marks the connection broken (openMigratedPool's listener
  // keeps the process alive before this one is attached).
  const onError = (err: Error): void => {
    broken = err;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err: unknown) {
    await client.query('ROLLBACK').catch((e: unknown) => {
      broken = e instanceof Error ? e : new Error(String(e)); // the connection is discarded
    });
    throw err;
  } finally {
    ended?.();
    client.removeListener('error', onError);
    client.release(broken);
  }
}
