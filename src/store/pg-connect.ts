/**
 * Opening a PostgreSQL connection of Riposte's own (not a pool's), the configuration of every
 * connection to the store (pgConfig, a pool's too), and what a failure to open the store at start
 * tells the operator.
 */
import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { errorMessage } from '../protocol/error-message.js';
import { isStoreUnavailable } from './store-unavailable.js';
import { storeTlsProblem } from './store-tls-error.js';
import { redactUrl } from './store-url.js';

/*
 * The pg configuration of a connection to the store at `url`, its URL parsed once per process.
 * pg parses a `connectionString` again for every client it makes (a pool's too) and reads the TLS
 * files the URL names (`sslrootcert`, `sslcert`, `sslkey`) each time, synchronously, in the
 * client's constructor: had one of them gone missing while a node ran (a certificate rotated by
 * delete-then-write, a package upgrade), the pool's next new connection, which pg-pool makes from
 * a timer or a nextTick, would have thrown out of the event loop and ended the daemon. Parsed
 * here once, the files are read at start only (a renewed CA takes a restart, as for NATS), and
 * a file that cannot be read then is the start's CONFIG_INVALID (storeOpenError).
 */
const parsed = new Map<string, Readonly<pg.ClientConfig>>();

/**
 * `own` with what `url` says laid over it (the URL's settings win, as with pg's own
 * `connectionString`), without a `connectionString` left for pg to parse again.
 * @throws RiposteError CONFIG_INVALID when the URL cannot be parsed or its TLS files read
 */
export function pgConfig<T extends pg.ClientConfig>(url: string, own: T): T {
  let config = parsed.get(url);
  if (config === undefined) {
    try {
      config = Object.freeze(parseIntoClientConfig(url));
    } catch (err: unknown) {
      // A TLS file that cannot be read, or the URL itself (a port that is no number, say): both
      // the operator's to fix.
      const known = storeOpenError(err, url);
      throw known instanceof RiposteError
        ? known
        : new RiposteError(
            ErrorCode.CONFIG_INVALID,
            `Cannot open the PostgreSQL store ${redactUrl(url)}: ${errorMessage(err)}`,
            undefined,
            { cause: err },
          );
    }
    parsed.set(url, config);
  }
  return { ...own, ...config };
}

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
 * A client of the store at `url` with `config` (pgConfig: the URL's settings laid over it),
 * connected at start (connectOrClose); a failure is thrown as {@link storeOpenError} says (a URL
 * or TLS file pgConfig cannot read: CONFIG_INVALID). The client ignores its 'error' events: a
 * connection cut while in use fails the query in progress, which its caller sees (without a
 * listener pg's event would end the process first).
 */
export async function connectStore(url: string, config: pg.ClientConfig): Promise<pg.Client> {
  const client = new pg.Client(pgConfig(url, config));
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
