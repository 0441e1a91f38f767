/**
 * What a TLS failure to open the PostgreSQL store says to fix. A store URL asks for TLS with
 * `sslmode=verify-full` (docs/scale-out.md, "Store"); pg-connection-string reads the files its
 * `sslrootcert`, `sslcert` and `sslkey` name when the URL is parsed (pg's Client constructor), and
 * Node checks the server's certificate against `sslrootcert` (or Node's built-in CAs without it)
 * and its subjectAltName against the URL's host. Every such failure is the operator's
 * configuration (the URL, its files, the server's certificate or ssl settings): a restart does not
 * fix it, so the caller makes it CONFIG_INVALID, not STORE_UNAVAILABLE.
 *
 * Not part of this module: deciding the error code (pg-connect.ts storeOpenError).
 */
import { certificateProblemOf } from '../net/tls-cert-errors.js';

/** pg's error when the URL asks for TLS and the server answers its SSLRequest with "no". */
const NO_SSL_SERVER = 'The server does not support SSL connections';

/** The URL parameters naming files pg-connection-string reads. */
const SSL_FILE_PARAMS = ['sslrootcert', 'sslcert', 'sslkey'] as const;

/** The URL's query parameters (none when it does not parse as a URL). */
function paramsOf(url: string): URLSearchParams {
  try {
    return new URL(url).searchParams;
  } catch {
    return new URLSearchParams();
  }
}

/** Where the server's certificate was checked, and what to do about it. */
function trustSource(params: URLSearchParams): string {
  const root = params.get('sslrootcert');
  return root === null
    ? "checked against Node's built-in CAs: add sslrootcert=<the CA file that issued the server's certificate> to the URL"
    : `checked against sslrootcert=${root}: it must hold the CA that issued the server's certificate`;
}

/** `name=value` of the URL's TLS file parameters, for a message. */
function sslFiles(params: URLSearchParams): string {
  return SSL_FILE_PARAMS.flatMap((p) => {
    const v = params.get(p);
    return v === null ? [] : [`${p}=${v}`];
  }).join(', ');
}

/** The failure to read one of the URL's TLS files (ENOENT, EACCES, EISDIR from readFileSync). */
function unreadableFile(
  err: NodeJS.ErrnoException,
  code: string,
  params: URLSearchParams,
): string | undefined {
  const { syscall, path } = err;
  const files = sslFiles(params);
  if (!code.startsWith('E') || (syscall !== 'open' && syscall !== 'read') || files === '') {
    return undefined;
  }
  const param = SSL_FILE_PARAMS.find((p) => path !== undefined && params.get(p) === path);
  const which = param === undefined ? `a TLS file of the URL (${files})` : `${param}=${String(path)}`;
  return `cannot read ${which}: ${err.message} (the daemon's user reads it at start)`;
}

/** The certificate verification problems (Node's code → the message's text). */
function certificateProblem(code: string, message: string, params: URLSearchParams): string | undefined {
  switch (certificateProblemOf(code)) {
    case 'untrusted':
      return `the server's certificate is not trusted: ${message} (${trustSource(params)})`;
    case 'out-of-date':
      return `the server's certificate is not valid now: ${message} (renew it on the server, or check this host's clock)`;
    case 'name-mismatch':
      return (
        `the server's certificate does not name the URL's host: ${message} ` +
        '(connect by a name or address its subjectAltName lists, or reissue it for this one)'
      );
    case undefined:
      return undefined;
  }
}

/** OpenSSL's short reason (`tlsv1 alert decrypt error`) rather than its whole error line. */
function handshakeReason(err: { message: string }): string {
  const reason = (err as { reason?: unknown }).reason;
  return typeof reason === 'string' && reason !== '' ? reason : err.message.trim();
}

/**
 * What a TLS failure opening the store at `url` says to fix, or undefined when `err` is no TLS
 * failure: the server's certificate not trusted, out of date or not naming the URL's host; a
 * server without SSL; a handshake the server refused (OpenSSL's ERR_SSL_*: its alert, e.g. for a
 * client certificate it does not accept); a TLS file of the URL that cannot be read.
 * Never contains a password (`url`'s is not read; Node's and pg's messages hold none).
 */
export function storeTlsProblem(err: unknown, url: string): string | undefined {
  if (!(err instanceof Error)) {
    return undefined;
  }
  const params = paramsOf(url);
  if (err.message === NO_SSL_SERVER) {
    const mode = params.get('sslmode');
    return (
      `the server does not support SSL connections, and this URL requires TLS${mode === null ? '' : ` (sslmode=${mode})`}: ` +
      "turn ssl on in the server's postgresql.conf, or check the URL's host and port"
    );
  }
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') {
    return undefined;
  }
  if (code.startsWith('ERR_SSL_')) {
    const files = sslFiles(params);
    return (
      `the TLS handshake failed: ${handshakeReason(err)} (check the server's ssl settings` +
      `${files === '' ? '' : ` and the URL's ${files}`})`
    );
  }
  return certificateProblem(code, err.message, params) ?? unreadableFile(err, code, params);
}
