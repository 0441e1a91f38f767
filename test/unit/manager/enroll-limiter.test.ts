/**
 * The failed-enrollment limit (issue 13.12): pure, `now` passed in, bounded memory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEnrollLimits, EnrollLimiter } from '../../../src/manager/enroll-limiter.js';

const limits = { maxFailures: 3, windowMs: 1000, maxAddresses: 2 };

test('an address is refused after maxFailures within the window, until its oldest failure leaves it', () => {
  const l = new EnrollLimiter(limits);
  l.recordFailure('127.0.0.1', 0);
  l.recordFailure('127.0.0.1', 100);
  assert.equal(l.retryAfterMs('127.0.0.1', 200), 0);
  l.recordFailure('127.0.0.1', 200);
  assert.equal(l.retryAfterMs('127.0.0.1', 300), 700);
  assert.equal(l.retryAfterMs('127.0.0.2', 300), 0, 'another address is not affected');
  assert.equal(l.retryAfterMs('127.0.0.1', 1000), 0, 'the failure at 0 has left the window');
});

test('::ffff:a.b.c.d counts as a.b.c.d', () => {
  const l = new EnrollLimiter(limits);
  l.recordFailure('::ffff:127.0.0.1', 0);
  l.recordFailure('127.0.0.1', 1);
  l.recordFailure('::FFFF:127.0.0.1', 2);
  assert.ok(l.retryAfterMs('127.0.0.1', 3) > 0);
});

test('memory is bounded: expired addresses are pruned and at most maxAddresses are tracked', () => {
  const l = new EnrollLimiter(limits);
  l.recordFailure('127.0.0.1', 0);
  l.recordFailure('127.0.0.2', 10);
  l.recordFailure('127.0.0.3', 20);
  assert.equal(l.size, 2, 'the least recently failing address was dropped');
  l.recordFailure('127.0.0.2', 30);
  l.recordFailure('127.0.0.4', 40);
  assert.equal(l.size, 2);
  assert.equal(l.retryAfterMs('127.0.0.9', 5000), 0);
  assert.equal(l.size, 0, 'addresses whose failures all left the window are pruned on use');
  for (let i = 0; i < 100; i++) {
    l.recordFailure('127.0.0.5', 6000 + i);
  }
  assert.equal(l.retryAfterMs('127.0.0.5', 6100), 997, 'only the last maxFailures times are kept');
});

test('limits outside their range are refused, naming the flag, the value and the range', () => {
  const ok = { maxFailures: 10, windowMs: 60_000, maxAddresses: 10_000 };
  assert.deepEqual(checkEnrollLimits(ok), ok);
  const cases: [Partial<typeof ok>, RegExp][] = [
    [{ maxFailures: 0 }, /^--enroll-max-failures: 0 is not an integer from 1 to 1000000$/],
    [{ maxFailures: 2.5 }, /^--enroll-max-failures: 2\.5 /],
    [{ windowMs: 999 }, /^--enroll-window: 999 is not an integer from 1000 to 86400000 ms \(1s to 1d\)$/],
    [{ windowMs: 86_400_001 }, /^--enroll-window: /],
    [{ maxAddresses: 0 }, /^--enroll-max-addresses: 0 /],
    [{ maxAddresses: 1_000_001 }, /^--enroll-max-addresses: 1000001 /],
  ];
  for (const [over, message] of cases) {
    assert.throws(() => checkEnrollLimits({ ...ok, ...over }), { code: 'REQUEST_INVALID', message });
    assert.throws(() => new EnrollLimiter({ ...ok, ...over }), { code: 'REQUEST_INVALID', message });
  }
});

test('roomFor: concurrent attempts of one address never exceed what one-at-a-time attempts would get', () => {
  const l = new EnrollLimiter(limits);
  assert.equal(l.roomFor('127.0.0.1', 0, 0), true, 'none running: always (the attempt checks the limit)');
  assert.equal(l.roomFor('127.0.0.1', 0, 2), true, '2 running + 0 failures < 3');
  assert.equal(l.roomFor('127.0.0.1', 0, 3), false, '3 running could be 3 failures');
  l.recordFailure('127.0.0.1', 0);
  assert.equal(l.roomFor('::ffff:127.0.0.1', 1, 1), true, '1 failure + 1 running < 3');
  assert.equal(l.roomFor('127.0.0.1', 1, 2), false, '1 failure + 2 running could reach 3');
  assert.equal(l.roomFor('127.0.0.2', 1, 2), true, 'another address has its own room');
  assert.equal(l.roomFor('127.0.0.1', 1000, 2), true, 'the failure left the window');
});
