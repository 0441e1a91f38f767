/**
 * The server-side settings every Riposte connection to PostgreSQL starts with (the `options`
 * startup parameter), so that a node that vanishes does not hold what it held for hours:
 *
 * - TCP keepalives on the server's side of the connection: a node whose host lost power or whose
 *   network was cut sends no FIN and no RST, and with the kernel's defaults PostgreSQL would keep
 *   its session, and the row locks of its transaction, for ~2 h 11 min. Here it probes an idle
 *   connection after 10 s and ends it after 3 unanswered probes 5 s apart: ~25 s.
 * - `idle_in_transaction_session_timeout` on the store's connections: a node frozen or cut off
 *   between two statements of a transaction (its locks on order, counter and agent rows stall
 *   every other node's ingest and link) is ended after 30 s. Riposte's transactions never wait on
 *   anything but PostgreSQL between their statements, so a healthy node is never ended by it.
 *
 * A process that is only stopped (SIGSTOP, a paused VM) still answers keepalives from its kernel:
 * the timeout frees its transaction's locks; the timers' lease is time-based (cluster/pg-lease.ts),
 * so it does not depend on the session (docs/scale-out.md).
 */

/** Default `idle_in_transaction_session_timeout` of the store's pooled connections, ms. */
export const IDLE_IN_TRANSACTION_TIMEOUT_MS = 30_000;

const KEEPALIVES = ['-c tcp_keepalives_idle=10', '-c tcp_keepalives_interval=5', '-c tcp_keepalives_count=3'];

/** `options` for a connection that holds no transaction open (the bus, the lease, a start-up lock). */
export function keepaliveOptions(): string {
  return KEEPALIVES.join(' ');
}

/** The `-c` settings of a store connection, `extra` (jit, search_path) first. */
export function storeSessionOptions(extra: readonly string[], idleInTransactionMs: number): string {
  return [...extra, ...KEEPALIVES, `-c idle_in_transaction_session_timeout=${idleInTransactionMs}`].join(' ');
}
