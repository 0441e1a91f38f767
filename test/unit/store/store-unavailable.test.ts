import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isStoreStalled, isStoreUnavailable } from '../../../src/store/store-unavailable.js';
import { ErrorCode, RiposteError } from '../../../src/protocol/error-codes.js';
import { errorMessage } from '../../../src/protocol/error-message.js';

const withCode = (message: string, code: string): Error => Object.assign(new Error(message), { code });

void test('an unreachable, restarting, busy or full store is unavailable', () => {
  const cases: unknown[] = [
    withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
    withCode('read ECONNRESET', 'ECONNRESET'),
    withCode('terminating connection due to administrator command', '57P01'),
    withCode('the database system is starting up', '57P03'),
    withCode('could not connect to server', '08006'),
    withCode('sorry, too many clients already', '53300'),
    withCode('could not extend file: No space left on device', '53100'),
    withCode('deadlock detected', '40P01'),
    new Error('Connection terminated unexpectedly'),
    new Error('timeout exceeded when trying to connect'),
    withCode('database is locked', 'SQLITE_BUSY'),
    withCode('database or disk is full', 'SQLITE_FULL'),
    new RiposteError(ErrorCode.STORE_FULL, 'Cannot write "x": the disk is full'),
    new Error('wrapped', { cause: withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED') }),
    new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], ''),
  ];
  for (const err of cases) {
    assert.equal(isStoreUnavailable(err), true, (err as Error).message);
  }
});

void test("the caller's own faults are not", () => {
  const cases: unknown[] = [
    new RangeError('Maximum call stack size exceeded'),
    withCode('duplicate key value violates unique constraint', '23505'),
    withCode('syntax error at or near "x"', '42601'),
    withCode('UNIQUE constraint failed: orders.seq', 'SQLITE_CONSTRAINT_UNIQUE'),
    new RiposteError(ErrorCode.STORE_CORRUPT, 'corrupt'),
    new RiposteError(ErrorCode.ALERT_INVALID, 'bad alert'),
    'a string',
    undefined,
    null,
  ];
  for (const err of cases) {
    assert.equal(isStoreUnavailable(err), false, errorMessage(err));
  }
});

void test('a statement out of time is a stall, not the store unavailable', () => {
  const stalls: unknown[] = [
    withCode('canceling statement due to statement timeout', '57014'),
    withCode('terminating connection due to idle-in-transaction timeout', '25P03'),
    new Error('Query read timeout'),
    new Error('wrapped', { cause: new Error('Query read timeout') }),
  ];
  for (const err of stalls) {
    assert.equal(isStoreStalled(err), true, (err as Error).message);
    assert.equal(isStoreUnavailable(err), false, (err as Error).message);
  }
  assert.equal(isStoreStalled(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')), false);
  assert.equal(isStoreStalled(withCode('duplicate key value', '23505')), false);
});
