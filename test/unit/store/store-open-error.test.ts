/**
 * What a failure to open the PostgreSQL store at start becomes (src/store/pg-connect.ts
 * storeOpenError, src/store/store-tls-error.ts), and the warning for a password written in a URL
 * (src/store/store-url.ts). The real server and CLI: test/cli/store-credentials.test.ts and
 * test/cli/store-tls.test.ts (where the TLS errors below were met: codes and messages as Node 20
 * and pg 8 give them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pgConfig, storeOpenError } from '../../../src/store/pg-connect.js';
import { isStoreUnavailable } from '../../../src/store/store-unavailable.js';
import { passwordInArgvWarning, redactUrl, urlHasPassword } from '../../../src/store/store-url.js';
import { ErrorCode, RiposteError, isRiposteError } from '../../../src/protocol/error-codes.js';
import { exitCodeFor } from '../../../src/cli/exit-codes.js';

const URL_PW = 'postgres://riposte:s3cret-pw@db.example:5432/riposte';
const URL = 'postgres://riposte@db.example/riposte';
const withCode = (message: string, code: string): Error => Object.assign(new Error(message), { code });

function opened(err: unknown, url = URL_PW): { code: string; exit: number; message: string } {
  const e = storeOpenError(err, url);
  assert.ok(isRiposteError(e), `not classified: ${String(e)}`);
  assert.equal(e.cause, err, 'the original error is kept as the cause');
  return { code: e.code, exit: exitCodeFor(e), message: e.message };
}

void test('refused credentials, no password given, no such database: CONFIG_INVALID, exit 1', () => {
  const cases: [unknown, RegExp][] = [
    [
      withCode('password authentication failed for user "riposte"', '28P01'),
      /password authentication failed/,
    ],
    [withCode('no pg_hba.conf entry for host "10.0.0.9"', '28000'), /no pg_hba\.conf entry/],
    [withCode('database "riposte" does not exist', '3D000'), /does not exist/],
    [
      new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string'),
      /asks for a password and none was given \(set PGPASSWORD or ~\/\.pgpass/,
    ],
  ];
  for (const [err, said] of cases) {
    const o = opened(err);
    assert.equal(o.code, ErrorCode.CONFIG_INVALID, o.message);
    assert.equal(o.exit, 1);
    assert.match(
      o.message,
      /^Cannot open the PostgreSQL store postgres:\/\/riposte:\*\*\*@db\.example:5432\/riposte: /,
    );
    assert.match(o.message, said);
    assert.doesNotMatch(o.message, /s3cret-pw/);
  }
});

void test('an unreachable or unready server: STORE_UNAVAILABLE, exit 69 (a service manager retries)', () => {
  const cases: [unknown, string][] = [
    [withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'), 'connect ECONNREFUSED 127.0.0.1:5432'],
    [withCode('getaddrinfo ENOTFOUND db.example', 'ENOTFOUND'), 'getaddrinfo ENOTFOUND db.example'],
    [withCode('the database system is starting up', '57P03'), 'the database system is starting up'],
    [withCode('sorry, too many clients already', '53300'), 'sorry, too many clients already'],
    [
      new AggregateError(
        [
          withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED'),
          withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
        ],
        '',
      ),
      'connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432',
    ],
  ];
  for (const [err, said] of cases) {
    const o = opened(err, URL);
    assert.equal(o.code, ErrorCode.STORE_UNAVAILABLE, o.message);
    assert.equal(o.exit, 69);
    assert.equal(o.message, `Cannot open the PostgreSQL store ${URL}: ${said}`);
  }
});

const TLS_URL =
  'postgres://riposte:s3cret-pw@db.example/riposte?sslmode=verify-full&sslrootcert=/etc/riposte/db-ca.pem';
const REDACTED_TLS_URL =
  'postgres://riposte:***@db.example/riposte?sslmode=verify-full&sslrootcert=/etc/riposte/db-ca.pem';

/** An error as Node's fs gives it (readFileSync of a URL's sslrootcert, in pg's Client constructor). */
function fsError(code: string, message: string, syscall: string, path?: string): Error {
  return Object.assign(new Error(message), {
    code,
    errno: -2,
    syscall,
    ...(path === undefined ? {} : { path }),
  });
}

const TRUSTED_BY_ROOTCERT =
  "checked against sslrootcert=/etc/riposte/db-ca.pem: it must hold the CA that issued the server's certificate";

void test('a TLS failure (certificate, host name, no SSL, unreadable sslrootcert): CONFIG_INVALID, exit 1, what to fix', () => {
  const cases: [unknown, string][] = [
    [
      withCode('unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
      `the server's certificate is not trusted: unable to verify the first certificate (${TRUSTED_BY_ROOTCERT})`,
    ],
    [
      withCode('certificate signature failure', 'CERT_SIGNATURE_FAILURE'),
      `the server's certificate is not trusted: certificate signature failure (${TRUSTED_BY_ROOTCERT})`,
    ],
    [
      withCode('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'),
      `the server's certificate is not trusted: self-signed certificate in certificate chain (${TRUSTED_BY_ROOTCERT})`,
    ],
    [
      withCode('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'),
      `the server's certificate is not trusted: self-signed certificate (${TRUSTED_BY_ROOTCERT})`,
    ],
    [
      withCode('certificate has expired', 'CERT_HAS_EXPIRED'),
      "the server's certificate is not valid now: certificate has expired (renew it on the server, or check this host's clock)",
    ],
    [
      withCode(
        "Hostname/IP does not match certificate's altnames: Host: db.example. is not cert's CN: 127.0.0.1",
        'ERR_TLS_CERT_ALTNAME_INVALID',
      ),
      "the server's certificate does not name the URL's host: Hostname/IP does not match certificate's altnames: " +
        "Host: db.example. is not cert's CN: 127.0.0.1 (connect by a name or address its subjectAltName lists, or reissue it for this one)",
    ],
    [
      new Error('The server does not support SSL connections'),
      'the server does not support SSL connections, and this URL requires TLS (sslmode=verify-full): ' +
        "turn ssl on in the server's postgresql.conf, or check the URL's host and port",
    ],
    [
      fsError(
        'ENOENT',
        "ENOENT: no such file or directory, open '/etc/riposte/db-ca.pem'",
        'open',
        '/etc/riposte/db-ca.pem',
      ),
      "cannot read sslrootcert=/etc/riposte/db-ca.pem: ENOENT: no such file or directory, open '/etc/riposte/db-ca.pem' " +
        "(the daemon's user reads it at start)",
    ],
    [
      fsError('EISDIR', 'EISDIR: illegal operation on a directory, read', 'read'),
      'cannot read a TLS file of the URL (sslrootcert=/etc/riposte/db-ca.pem): EISDIR: illegal operation on a ' +
        "directory, read (the daemon's user reads it at start)",
    ],
    [
      Object.assign(
        withCode(
          '808C07077C7F0000:error:0A00041B:SSL routines:ssl3_read_bytes:tlsv1 alert decrypt error:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 51\n',
          'ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR',
        ),
        { library: 'SSL routines', reason: 'tlsv1 alert decrypt error' },
      ),
      "the TLS handshake failed: tlsv1 alert decrypt error (check the server's ssl settings and the URL's " +
        'sslrootcert=/etc/riposte/db-ca.pem)',
    ],
  ];
  for (const [err, said] of cases) {
    assert.equal(isStoreUnavailable(err), false, `not a store that cannot serve now: ${String(err)}`);
    const o = opened(err, TLS_URL);
    assert.equal(o.code, ErrorCode.CONFIG_INVALID, o.message);
    assert.equal(o.exit, 1);
    assert.equal(o.message, `Cannot open the PostgreSQL store ${REDACTED_TLS_URL}: ${said}`);
  }
});

void test("a certificate not trusted without sslrootcert: checked against Node's CAs, the fix named", () => {
  const url = 'postgres://riposte@db.example/riposte?sslmode=verify-full';
  const o = opened(
    withCode('unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
    url,
  );
  assert.equal(o.code, ErrorCode.CONFIG_INVALID);
  assert.equal(
    o.message,
    `Cannot open the PostgreSQL store ${url}: the server's certificate is not trusted: unable to verify the first ` +
      "certificate (checked against Node's built-in CAs: add sslrootcert=<the CA file that issued the server's " +
      'certificate> to the URL)',
  );
  const noSsl = opened(new Error('The server does not support SSL connections'), 'postgres://h/d?ssl=true');
  assert.match(
    noSsl.message,
    /: the server does not support SSL connections, and this URL requires TLS: turn ssl on/,
  );
});

void test('anything else, and an error already classified, is returned as it is', () => {
  const bug = new TypeError('x is not a function');
  assert.equal(storeOpenError(bug, URL_PW), bug);
  const syntax = withCode('syntax error at or near "SELEC"', '42601');
  assert.equal(storeOpenError(syntax, URL_PW), syntax);
  const missing = fsError('ENOENT', "ENOENT: no such file or directory, open '/x'", 'open', '/x');
  assert.equal(
    storeOpenError(missing, URL_PW),
    missing,
    'a file error is a TLS file only when the URL names one',
  );
  const mine = new RiposteError(ErrorCode.CONFIG_INVALID, 'target not empty');
  assert.equal(storeOpenError(mine, URL_PW), mine);
});

void test('a password in a URL is found and never shown', () => {
  for (const url of [URL_PW, 'postgresql://u:p@h/d', 'postgres://u@h/d?sslmode=require&Password=p']) {
    assert.equal(urlHasPassword(url), true, url);
    const w = passwordInArgvWarning('--store', url) ?? '';
    assert.match(w, /^--store: this URL holds a password \(postgres(ql)?:\/\/[^)]*\*\*\*/);
    assert.match(w, /every user of this host can read a process's command line/);
    assert.match(w, /PGPASSWORD or ~\/\.pgpass/);
    assert.doesNotMatch(w, /s3cret-pw|:p@|Password=p\b/);
  }
  for (const url of [URL, 'postgres://h/d?sslmode=verify-full', 'postgres://u:@h/d']) {
    assert.equal(urlHasPassword(url), false, url);
    assert.equal(passwordInArgvWarning('--store', url), undefined);
  }
  assert.equal(redactUrl(URL_PW), 'postgres://riposte:***@db.example:5432/riposte');
});

void test('pgConfig: the URL parsed once, laid over the caller config; a bad one is CONFIG_INVALID', () => {
  const own = { application_name: 'riposte store', options: '-c jit=off' };
  const config = pgConfig('postgres://riposte@db.example:5433/riposte?application_name=ops', own);
  assert.deepEqual(
    { ...config },
    {
      application_name: 'ops',
      options: '-c jit=off',
      user: 'riposte',
      password: '', // none in the URL: pg reads PGPASSWORD then, as before
      host: 'db.example',
      port: 5433,
      database: 'riposte',
    },
    "the URL's settings win, as with pg's connectionString, and none is left to parse again",
  );
  for (const [url, said] of [
    [
      'postgres://riposte@db.example/riposte?sslmode=verify-full&sslrootcert=/no/such/ca.pem',
      /cannot read sslrootcert=\/no\/such\/ca\.pem/,
    ],
    ['postgres://riposte:s3cret-pw@db.example:x1/riposte', /: Invalid URL$/],
  ] as const) {
    assert.throws(
      () => pgConfig(url, own),
      (err: unknown) => {
        assert.ok(isRiposteError(err));
        assert.equal(err.code, ErrorCode.CONFIG_INVALID, err.message);
        assert.match(err.message, /^Cannot open the PostgreSQL store postgres:\/\//);
        assert.match(err.message, said);
        assert.doesNotMatch(err.message, /s3cret-pw/);
        return true;
      },
    );
  }
});
