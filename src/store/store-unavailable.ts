/**
 * Which store failures are the store's state, not the caller's input: the database is unreachable,
 * restarting, busy or out of space. A caller that retries work later (the alerts.json tailer) must
 * not hold such a failure against the work itself, e.g. skip an alert as poison because PostgreSQL
 * was restarting while it was read.
 */
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';

/** Node's socket errors met when the database server is down or unreachable. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENOSPC',
]);

/**
 * PostgreSQL SQLSTATEs of a server that cannot serve now: class 08 (connection exception), 53
 * (insufficient resources: disk full, out of memory, too many connections), 57P01-57P03 (shutting
 * down, crashed, starting up), 40001/40P01 (serialization failure, deadlock: retry the transaction),
 * 57014 and 25P03 (a statement or transaction ended by a timeout: a server stalled by its storage
 * or by a lock held elsewhere; the store's statements take milliseconds when it serves).
 */
function transientSqlState(code: string): boolean {
  return (
    code.startsWith('08') ||
    code.startsWith('53') ||
    code === '57014' ||
    code === '25P03' ||
    code === '57P01' ||
    code === '57P02' ||
    code === '57P03' ||
    code === '40001' ||
    code === '40P01'
  );
}

/** SQLite result codes of a database that is busy, locked or on a full disk. */
function transientSqliteCode(code: string): boolean {
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || code === 'SQLITE_FULL';
}

/**
 * pg's own errors for a connection that ended or could not be made, or a statement the server did
 * not answer within the pool's `query_timeout` (pg-manager-base.ts poolConfig); they carry no code.
 */
const PG_CONNECTION_MESSAGES = [
  'Connection terminated',
  'Query read timeout',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Client was closed and is not queryable',
];

function transientOne(err: unknown): boolean {
  if (err instanceof RiposteError) {
    return err.code === ErrorCode.STORE_FULL;
  }
  if (typeof err !== 'object' || err === null) {
    return false;
  }
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (SOCKET_CODES.has(code) || transientSqliteCode(code)) {
      return true;
    }
    if (/^[0-9A-Z]{5}$/.test(code) && transientSqlState(code)) {
      return true;
    }
  }
  const message = (err as { message?: unknown }).message;
  return typeof message === 'string' && PG_CONNECTION_MESSAGES.some((m) => message.startsWith(m));
}

/** True when `err` (or an error in its `cause` chain, or in an AggregateError) says the store cannot serve now. */
export function isStoreUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0) {
    const e = queue.shift();
    if (e === undefined || e === null || seen.has(e)) {
      continue;
    }
    seen.add(e);
    if (transientOne(e)) {
      return true;
    }
    if (e instanceof AggregateError) {
      queue.push(...(e.errors as unknown[]));
    }
    if (e instanceof Error) {
      queue.push(e.cause);
    }
  }
  return false;
}
