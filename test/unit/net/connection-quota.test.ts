/**
 * The quota of connections not linked as agents (src/core/net/connection-quota.ts): pure. A
 * newcomer is always held; the oldest of its own source makes room at the per-source limit, the
 * oldest of the largest source at the overall limit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkConnectionLimits,
  ConnectionQuota,
  DEFAULT_CONNECTION_LIMITS,
} from '../../../src/core/net/connection-quota.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';

test('at its per-source limit a source makes room with its own oldest; other sources are untouched', () => {
  const q = new ConnectionQuota<string>({ perSource: 2, overall: 10 });
  assert.deepEqual(
    ['a1', 'a2', 'b1'].map((h) => q.take(h[0] ?? '', h)),
    [undefined, undefined, undefined],
  );
  assert.equal(q.take('a', 'a3'), 'a1', 'the oldest of a');
  assert.equal(q.take('a', 'a4'), 'a2');
  assert.deepEqual(q.held, { connections: 3, sources: 2 });
});

test('at the overall limit the largest source makes room with its oldest', () => {
  const q = new ConnectionQuota<string>({ perSource: 10, overall: 4 });
  for (const h of ['a1', 'b1', 'b2', 'b3']) {
    assert.equal(q.take(h[0] ?? '', h), undefined);
  }
  assert.equal(q.take('c', 'c1'), 'b1', 'b holds the most: its oldest goes, not a newcomer');
  assert.equal(q.take('c', 'c2'), 'b2');
  assert.equal(q.take('d', 'd1'), 'c1', 'a, b and c hold 1, 1 and 2: c is now the largest');
});

test('give returns a slot once, forgets an empty source, and ignores a handle it does not hold', () => {
  const q = new ConnectionQuota<string>({ perSource: 1, overall: 1 });
  assert.equal(q.take('a', 'a1'), undefined);
  q.give('a1');
  assert.deepEqual(q.held, { connections: 0, sources: 0 });
  q.give('a1');
  q.give('never');
  assert.deepEqual(q.held, { connections: 0, sources: 0 });
  assert.equal(q.take('a', 'a2'), undefined);
  assert.equal(q.take('b', 'b1'), 'a2', 'overall 1: the only one makes room');
  q.give('a2');
  assert.deepEqual(q.held, { connections: 1, sources: 1 }, 'an evicted handle holds nothing to give back');
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
