/**
 * Opening a PostgreSQL connection of Riposte's own (not a pool's), and what a failure to open the
 * store at start tells the operator.
 */
import type pg from 'pg';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { errorMessage } from '../protocol/error-message.js';
import { isStoreUnavailable } from './store-unavailable.js';
import { redactUrl } from './store-url.js';

/**
 * Connects `client`, or closes it and rethrows. pg leaves the socket open after a failure it
 * raises itself during authentication (a SCRAM server asking for a password when none was
 * given), and PostgreSQL keeps such a half-authenticated session until its
 * `authentication_timeout` (60 s by default): a daemon that had failed to start stayed alive
 * that long, holding its home's lock, before it exited.
 */
export async function connectOrClose(client: pg.Client): Promise<void> {
  try {
    await client.connect();
  } catch (err: unknown) {
    // Not awaited: end() resolves on the connection's 'end' event, which a failure may already
    // have emitted (pg then returns at once) or may bring later; the caller need not wait for it.
    void client.end().catch(() => undefined);
    throw err;
  }
}

/**
 * Connects `client` to the store at `url` at start (connectOrClose), a failure thrown as
 * {@link storeOpenError} says.
 */
export async function connectStore(client: pg.Client, url: string): Promise<void> {
  await connectOrClose(client).catch((err: unknown) => {
    throw storeOpenError(err, url);
  });
}

/** An error's message; an AggregateError's (a host name with several addresses) has its parts'. */
function describe(err: unknown): string {
  if (err instanceof AggregateError && err.message === '') {
    return (err.errors as unknown[]).map(errorMessage).join('; ');
  }
  return errorMessage(err);
}

/** pg's own error when the server asks for a password and the client has none. */
const NO_PASSWORD = /client password must be a string/;

/**
 * SQLSTATEs of a server that refuses this connection for a reason the operator must fix: class
 * 28 (invalid authorization: a wrong password, no pg_hba.conf entry for this user and host) and
 * 3D000 (no such database).
 */
function refusedSqlState(code: unknown): boolean {
  return typeof code === 'string' && (code.startsWith('28') || code === '3D000');
}

/**
 * What a failure to open the PostgreSQL store at `url` at start is to the operator:
 * - refused (credentials, no password given, no such database): CONFIG_INVALID (exit 1: fix the
 *   URL, PGPASSWORD or the server's pg_hba.conf);
 * - unreachable or not serving (down, starting up, too many connections): STORE_UNAVAILABLE
 *   (exit 69: a service manager's restart retries);
 * - anything else is returned unchanged.
 * Messages name the URL with its password redacted; pg's messages never contain the password.
 */
export function storeOpenError(err: unknown, url: string): unknown {
  if (err instanceof RiposteError) {
    return err;
  }
  const what = `Cannot open the PostgreSQL store ${redactUrl(url)}`;
  const message = describe(err);
  if (NO_PASSWORD.test(message)) {
    return new RiposteError(
      ErrorCode.CONFIG_INVALID,
      `${what}: the server asks for a password and none was given (set PGPASSWORD or ~/.pgpass in the daemon's environment)`,
      undefined,
      { cause: err },
    );
  }
  if (refusedSqlState((err as { code?: unknown } | null)?.code)) {
    return new RiposteError(ErrorCode.CONFIG_INVALID, `${what}: ${message}`, undefined, { cause: err });
  }
  if (isStoreUnavailable(err)) {
    return new RiposteError(ErrorCode.STORE_UNAVAILABLE, `${what}: ${message}`, undefined, { cause: err });
  }
  return err;
}
