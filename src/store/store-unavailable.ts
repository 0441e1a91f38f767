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
 * down, crashed, starting up), 40001/40P01 (serialization failure, deadlock: retry the transaction).
 */
function transientSqlState(code: string): boolean {
  return (
    code.startsWith('08') ||
    code.startsWith('53') ||
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

/** pg's own errors for a connection that ended or could not be made (they carry no code). */
const PG_CONNECTION_MESSAGES = [
  'Connection terminated',
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

/**
 * A statement that ran out of time: pg's `Query read timeout` (the pool's `query_timeout`,
 * pg-manager-base.ts poolConfig; no code), 57014 (statement_timeout, a cancel) or 25P03 (an
 * idle-in-transaction timeout). The store may be stalled (its storage, a lock held elsewhere), or
 * the work may exceed a limit (a large batch under a DBA's statement_timeout): a caller that can
 * retry smaller work does, and holds the smallest back rather than drop it (the alerts tailer).
 */
function stalledOne(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) {
    return false;
  }
  const { code, message } = err as { code?: unknown; message?: unknown };
  return code === '57014' || code === '25P03' || message === 'Query read timeout';
}

/** True when `err` (or an error in its `cause` chain) is a statement that ran out of time. */
export function isStoreStalled(err: unknown): boolean {
  return inChain(err, stalledOne);
}

/** True when `err` (or an error in its `cause` chain, or in an AggregateError) says the store cannot serve now. */
export function isStoreUnavailable(err: unknown): boolean {
  return inChain(err, transientOne);
}

/** True when `test` holds for `err`, an error in its `cause` chain, or one in an AggregateError. */
function inChain(err: unknown, test: (e: unknown) => boolean): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0) {
    const e = queue.shift();
    if (e === undefined || e === null || seen.has(e)) {
      continue;
    }
    seen.add(e);
    if (test(e)) {
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
