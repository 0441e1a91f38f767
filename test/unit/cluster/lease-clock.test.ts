/** The timers' lease's time rules (lease-clock.ts): its periods, and how long a renew lets a node lead. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leaseHeld, leaseTimes } from '../../../src/cluster/lease-clock.js';

test('periods: 2 s and a ttl of 5 periods by default, a ttl of 5 periods of any period given', () => {
  assert.deepEqual(leaseTimes({}), { everyMs: 2_000, ttlMs: 10_000, marginMs: 1_000 });
  assert.deepEqual(leaseTimes({ everyMs: 200 }), { everyMs: 200, ttlMs: 1_000, marginMs: 100 });
  assert.deepEqual(leaseTimes({ everyMs: 60_000 }).ttlMs, 300_000);
  assert.deepEqual(leaseTimes({ everyMs: 200, ttlMs: 1_500 }), { everyMs: 200, ttlMs: 1_500, marginMs: 150 });
  assert.equal(leaseTimes({ everyMs: 500, ttlMs: 1_000 }).ttlMs, 1_000, 'two periods is enough');
});

test('bad periods are refused: not positive, not finite, a ttl under two periods', () => {
  for (const opts of [
    { everyMs: 0 },
    { everyMs: -5 },
    { everyMs: Number.NaN },
    { everyMs: Number.POSITIVE_INFINITY },
    { everyMs: 2_000, ttlMs: 2_000 },
    { everyMs: 2_000, ttlMs: 3_999 },
    { ttlMs: 1_000 },
    { everyMs: 200, ttlMs: Number.NaN },
    { everyMs: 200, ttlMs: Number.POSITIVE_INFINITY },
  ]) {
    assert.throws(() => leaseTimes(opts), RangeError, JSON.stringify(opts));
  }
});

test('a renew lets the node lead until its send time + ttl - margin, by the monotonic clock', () => {
  const times = leaseTimes({ everyMs: 200, ttlMs: 1_500 }); // margin 150: held until 1_350 after the send
  assert.equal(leaseHeld(100, times, 100), true, 'at the send');
  assert.equal(leaseHeld(100, times, 1_449.9), true, 'just before the end');
  assert.equal(leaseHeld(100, times, 1_450), false, 'at the end: the margin is kept');
  assert.equal(leaseHeld(100, times, 1_600), false, 'at the database expiry (send + ttl at the earliest)');
  assert.equal(leaseHeld(100, times, 100 + 60_000), false, 'resumed after a long stop, before any renew');
  assert.equal(leaseHeld(undefined, times, 0), false, 'no successful renew');
  assert.equal(leaseHeld(undefined, times, 1_000_000), false, 'no successful renew, later');
});

test('a later successful renew extends the lead; the margin makes it end before the database lets another in', () => {
  const times = leaseTimes({});
  assert.equal(leaseHeld(0, times, 9_500), false);
  assert.equal(leaseHeld(2_000, times, 9_500), true, 'renewed at 2 s: held until 11 s');
  for (const sentAt of [0, 1_234.5, 1e9]) {
    const end = sentAt + times.ttlMs - times.marginMs;
    assert.ok(end < sentAt + times.ttlMs);
    assert.equal(leaseHeld(sentAt, times, end - 1), true);
    assert.equal(leaseHeld(sentAt, times, end), false);
  }
});
