/**
 * The one mapping of error codes to HTTP statuses covers every ErrorCode, never leaks internals,
 * and every code is documented in docs/errors.md.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ErrorCode, RiposteError } from '../../src/protocol/error-codes.js';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import { GENERIC_INTERNAL_MESSAGE, HTTP_STATUS, mapError } from '../../src/manager-api/error-mapper.js';

const ERRORS_DOC = fileURLToPath(new URL('../../../docs/errors.md', import.meta.url));

void describe('error mapper', () => {
  for (const code of Object.values(ErrorCode)) {
    void test(`${code} maps to a status and keeps its code`, () => {
      const mapped = mapError(new RiposteError(code, `message for ${code}`));
      assert.equal(mapped.status, HTTP_STATUS[code]);
      assert.ok(mapped.status >= 400 && mapped.status < 600);
      assert.equal(mapped.body.error.code, code);
      const expected = code === ErrorCode.INTERNAL ? GENERIC_INTERNAL_MESSAGE : `message for ${code}`;
      assert.equal(mapped.body.error.message, expected);
    });
  }

  void test('client errors are not flagged unexpected; internal ones are', () => {
    assert.equal(mapError(new RiposteError(ErrorCode.AUTH_REQUIRED, 'x')).unexpected, false);
    assert.equal(mapError(new RiposteError(ErrorCode.INTERNAL, 'x')).unexpected, true);
  });

  void test('an unknown error is a 500 with a generic message and no stack', () => {
    const err = new Error('database at /var/secret is locked');
    const mapped = mapError(err);
    assert.equal(mapped.status, 500);
    assert.deepEqual(mapped.body, { error: { code: 'INTERNAL', message: GENERIC_INTERNAL_MESSAGE } });
    assert.equal(mapped.unexpected, true);
    assert.ok(!JSON.stringify(mapped.body).includes('secret'));
    assert.equal(mapError('a string').status, 500);
    assert.equal(mapError(null).status, 500);
  });

  void test('framework client errors keep their status as REQUEST_INVALID; framework 5xx become INTERNAL', () => {
    const tooLarge = mapError(Object.assign(new Error('Request body is too large'), { statusCode: 413 }));
    assert.equal(tooLarge.status, 413);
    assert.equal(tooLarge.body.error.code, 'REQUEST_INVALID');
    const server = mapError(Object.assign(new Error('serializer blew up'), { statusCode: 500 }));
    assert.equal(server.status, 500);
    assert.equal(server.body.error.message, GENERIC_INTERNAL_MESSAGE);
  });

  void test('RATE_LIMITED is 429 and carries the seconds to send as Retry-After', () => {
    const err = new RiposteError(ErrorCode.RATE_LIMITED, 'slow down', { retryAfterSec: 12.2 });
    const mapped = mapError(err);
    assert.equal(mapped.status, 429);
    assert.equal(mapped.retryAfterSec, 13);
    assert.equal(mapError(new RiposteError(ErrorCode.AUTH_FORBIDDEN, 'x')).retryAfterSec, undefined);
    assert.equal(exitCodeFor(err), 5);
  });

  void test('docs/errors.md documents every error code with its HTTP status and exit code', () => {
    const doc = fs.readFileSync(ERRORS_DOC, 'utf8');
    for (const code of Object.values(ErrorCode)) {
      const status = HTTP_STATUS[code];
      const exit = exitCodeFor(new RiposteError(code, 'x'));
      const row = new RegExp(`^\\|\\s*\`${code}\`\\s*\\|\\s*${status}\\b[^|]*\\|\\s*${exit}\\s*\\|`, 'm');
      assert.match(doc, row, `${code}: status ${status}, exit ${exit}`);
    }
  });
});
