/**
 * What a failure to open the PostgreSQL store at start becomes (src/store/pg-connect.ts
 * storeOpenError), and the warning for a password written in a URL (src/store/store-url.ts).
 * The real server and CLI: test/cli/store-credentials.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { storeOpenError } from '../../../src/store/pg-connect.js';
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

void test('anything else, and an error already classified, is returned as it is', () => {
  const bug = new TypeError('x is not a function');
  assert.equal(storeOpenError(bug, URL_PW), bug);
  const syntax = withCode('syntax error at or near "SELEC"', '42601');
  assert.equal(storeOpenError(syntax, URL_PW), syntax);
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
