/** The quota of connections without an agent certificate (src/link/connection-quota.ts): pure counts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkConnectionLimits,
  ConnectionQuota,
  DEFAULT_CONNECTION_LIMITS,
} from '../../../src/link/connection-quota.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';

test('a source takes up to perSource slots; another source still gets its own', () => {
  const q = new ConnectionQuota({ perSource: 2, overall: 10 });
  assert.deepEqual([q.take('a'), q.take('a'), q.take('a')], [true, true, false]);
  assert.equal(q.take('b'), true);
  assert.deepEqual(q.held, { connections: 3, sources: 2 });
});

test('overall bounds every source together', () => {
  const q = new ConnectionQuota({ perSource: 5, overall: 3 });
  assert.deepEqual(
    ['a', 'b', 'c', 'd'].map((s) => q.take(s)),
    [true, true, true, false],
  );
  q.give('b');
  assert.equal(q.take('d'), true, 'a slot given back is taken again');
});

test('give returns a slot, forgets a source that holds none, and ignores a source that held none', () => {
  const q = new ConnectionQuota({ perSource: 1, overall: 1 });
  assert.equal(q.take('a'), true);
  q.give('a');
  assert.deepEqual(q.held, { connections: 0, sources: 0 });
  q.give('a');
  q.give('never');
  assert.deepEqual(q.held, { connections: 0, sources: 0 }, 'no count below zero');
  assert.equal(q.take('a'), true);
  assert.equal(q.take('b'), false);
});

test('limits outside their range are refused, naming the flag', () => {
  assert.deepEqual(checkConnectionLimits(DEFAULT_CONNECTION_LIMITS), DEFAULT_CONNECTION_LIMITS);
  assert.throws(
    () => checkConnectionLimits({ perSource: 0, overall: 10 }),
    (err: unknown) =>
      (err as { code: string }).code === ErrorCode.REQUEST_INVALID &&
      /--unauthenticated-max-per-source: 0 is not an integer from 1 to 1000000/.test((err as Error).message),
  );
  assert.throws(() => checkConnectionLimits({ perSource: 1, overall: 1.5 }), /--unauthenticated-max: 1.5/);
});
