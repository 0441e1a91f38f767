/**
 * Runs a function while holding a PostgreSQL advisory lock on a connection of its own: the
 * cluster's one-at-a-time steps at start-up (publishing the shared CA, shared-pki.ts). The lock is
 * released with the connection, also when the process dies.
 */
import { keepaliveOptions } from '../store/pg-session-options.js';
import { connectStore } from '../store/pg-connect.js';

/** Advisory lock key of start-up steps ("ripostei" in ASCII as a number, distinct from the timers' lease). */
export const STARTUP_LOCK_KEY = '8244244216859092329';

export async function withPgLock<T>(connectionString: string, key: string, fn: () => Promise<T>): Promise<T> {
  const client = await connectStore(connectionString, {
    application_name: 'riposte start-up lock',
    options: keepaliveOptions(),
  });
  try {
    await client.query(`SELECT pg_advisory_lock(${key})`);
    return await fn();
  } finally {
    await client.end().catch(() => undefined);
  }
}
