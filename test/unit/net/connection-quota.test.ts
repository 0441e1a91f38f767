/**
 * The quota of connections not linked as agents (src/core/net/connection-quota.ts): pure, the
 * clock passed in. At a limit the oldest of the newcomer's source (per-source) or of the largest
 * source (overall) makes room when held for minAgeMs; otherwise the newcomer is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkConnectionLimits,
  ConnectionQuota,
  DEFAULT_CONNECTION_LIMITS,
  type Admission,
} from '../../../src/core/net/connection-quota.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';

/** What an admission did, in short: 'refused', 'held', or the evicted handle. */
function told(a: Admission<string>): string {
  return a.held ? (a.evicted ?? 'held') : 'refused';
}

test('at its per-source limit a source evicts its own oldest once that one is old enough; until then newcomers are refused', () => {
  const q = new ConnectionQuota<string>({ perSource: 2, overall: 10, minAgeMs: 1_000 });
  assert.deepEqual([q.take('a', 'a1', 0), q.take('a', 'a2', 100), q.take('b', 'b1', 200)].map(told), [
    'held',
    'held',
    'held',
  ]);
  assert.equal(told(q.take('a', 'a3', 900)), 'refused', 'a1 is 900 ms old: a burst refuses, never evicts');
  assert.equal(told(q.take('a', 'a3', 1_000)), 'a1', 'a1 held 1 s: evicted for the newcomer');
  assert.equal(told(q.take('a', 'a4', 1_050)), 'refused', 'a2 is 950 ms old');
  assert.equal(told(q.take('a', 'a4', 1_100)), 'a2');
  assert.deepEqual(q.held, { connections: 3, sources: 2 }, 'b untouched');
});

test('at the overall limit the largest source makes room with its oldest', () => {
  const q = new ConnectionQuota<string>({ perSource: 10, overall: 4, minAgeMs: 0 });
  for (const h of ['a1', 'b1', 'b2', 'b3']) {
    assert.equal(told(q.take(h[0] ?? '', h, 0)), 'held');
  }
  assert.equal(told(q.take('c', 'c1', 0)), 'b1', 'b holds the most: its oldest goes');
  assert.equal(told(q.take('c', 'c2', 0)), 'b2');
  assert.equal(told(q.take('d', 'd1', 0)), 'c1', 'a, b and c hold 1, 1 and 2: c is now the largest');
});

test('minAgeMs defaults to 10 s', () => {
  const q = new ConnectionQuota<string>({ perSource: 1, overall: 10 });
  q.take('a', 'a1', 0);
  assert.equal(told(q.take('a', 'a2', 9_999)), 'refused');
  assert.equal(told(q.take('a', 'a2', 10_000)), 'a1');
});

test('give returns a slot once, forgets an empty source, and ignores a handle it does not hold', () => {
  const q = new ConnectionQuota<string>({ perSource: 1, overall: 1, minAgeMs: 0 });
  assert.equal(told(q.take('a', 'a1', 0)), 'held');
  q.give('a1');
  assert.deepEqual(q.held, { connections: 0, sources: 0 });
  q.give('a1');
  q.give('never');
  assert.deepEqual(q.held, { connections: 0, sources: 0 });
  assert.equal(told(q.take('a', 'a2', 0)), 'held');
  assert.equal(told(q.take('b', 'b1', 0)), 'a2', 'overall 1: the only one makes room');
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
