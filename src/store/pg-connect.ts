/**
 * Opening a PostgreSQL connection of Riposte's own (not a pool's), and what a failure to open the
 * store at start tells the operator.
 */
import pg from 'pg';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { errorMessage } from '../protocol/error-message.js';
import { isStoreUnavailable } from './store-unavailable.js';
import { storeTlsProblem } from './store-tls-error.js';
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
 * A client of the store at `config.connectionString`, connected at start (connectOrClose); a
 * failure is thrown as {@link storeOpenError} says. The client is made here because pg parses the
 * URL in its constructor, and that is where a TLS file the URL names (`sslrootcert=...`) is read:
 * a missing one throws there, not at connect. The client ignores its 'error' events: a connection
 * cut while in use fails the query in progress, which its caller sees (without a listener pg's
 * event would end the process first).
 */
export async function connectStore(
  config: pg.ClientConfig & { connectionString: string },
): Promise<pg.Client> {
  const url = config.connectionString;
  let client: pg.Client;
  try {
    client = new pg.Client(config);
  } catch (err: unknown) {
    throw storeOpenError(err, url);
  }
  client.on('error', () => undefined);
  await connectOrClose(client).catch((err: unknown) => {
    throw storeOpenError(err, url);
  });
  return client;
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
 * - a TLS failure (store-tls-error.ts: the server's certificate not trusted or not naming the
 *   host, a server without SSL, an unreadable sslrootcert): CONFIG_INVALID (exit 1: a restart
 *   meets the same certificate; the message says what to fix);
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
  const tls = storeTlsProblem(err, url);
  if (tls !== undefined) {
    return new RiposteError(ErrorCode.CONFIG_INVALID, `${what}: ${tls}`, undefined, { cause: err });
  }
  if (isStoreUnavailable(err)) {
    return new RiposteError(ErrorCode.STORE_UNAVAILABLE, `${what}: ${message}`, undefined, { cause: err });
  }
  return err;
}
