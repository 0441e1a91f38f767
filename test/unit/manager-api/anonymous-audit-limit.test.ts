/**
 * The rate at which refused requests without a valid token are audited one by one
 * (src/manager-api/anonymous-audit-limit.ts): pure, the clock passed in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AnonymousAuditLimit,
  type AnonymousAuditLimits,
} from '../../../src/manager-api/anonymous-audit-limit.js';

const LIMITS: AnonymousAuditLimits = { perSource: 3, overall: 5, windowMs: 60_000, maxSources: 4 };
const T0 = 1_700_000_000_000;

/** How many of `n` requests from `remote` at `now` are recorded. */
function recordedOf(limit: AnonymousAuditLimit, remote: string, n: number, now = T0): number {
  let recorded = 0;
  for (let i = 0; i < n; i += 1) {
    recorded += limit.admit(remote, now).record ? 1 : 0;
  }
  return recorded;
}

test('each source gets perSource entries per window, and every source together overall', () => {
  const limit = new AnonymousAuditLimit(LIMITS);
  assert.equal(recordedOf(limit, '198.51.100.1', 10), 3);
  assert.equal(recordedOf(limit, '198.51.100.2', 10), 2, 'the overall limit (5) is reached');
  assert.equal(recordedOf(limit, '198.51.100.3', 1), 0);
});

test("a window's summary comes with the first request after it, then counting starts afresh", () => {
  const limit = new AnonymousAuditLimit(LIMITS);
  recordedOf(limit, '198.51.100.1', 10);
  recordedOf(limit, '198.51.100.2', 4);
  recordedOf(limit, '198.51.100.3', 1);
  assert.equal(limit.admit('198.51.100.9', T0 + 59_999).ended, undefined, 'still the same window');
  const next = limit.admit('198.51.100.1', T0 + 60_000);
  assert.equal(next.record, true, 'a new window');
  assert.deepEqual(next.ended, {
    windowStart: T0,
    windowMs: 60_000,
    unrecorded: 7 + 2 + 1 + 1,
    top: [
      { source: '198.51.100.1', unrecorded: 7 },
      { source: '198.51.100.2', unrecorded: 2 },
      { source: '198.51.100.3', unrecorded: 1 },
    ],
  });
  assert.equal(limit.admit('198.51.100.1', T0 + 200_000).ended, undefined, 'nothing was left unrecorded');
});

test('a window that recorded everything has no summary; flush hands over the current one', () => {
  const limit = new AnonymousAuditLimit(LIMITS);
  recordedOf(limit, '198.51.100.1', 2);
  assert.equal(limit.admit('198.51.100.1', T0 + 61_000).ended, undefined);
  recordedOf(limit, '198.51.100.1', 5, T0 + 61_000);
  assert.deepEqual(limit.flush(), {
    windowStart: T0 + 61_000,
    windowMs: 60_000,
    unrecorded: 3,
    top: [{ source: '198.51.100.1', unrecorded: 3 }],
  });
  assert.equal(limit.flush(), undefined, 'flushed once');
});

test('a clock that goes back starts a new window rather than one that never ends', () => {
  const limit = new AnonymousAuditLimit(LIMITS);
  recordedOf(limit, '198.51.100.1', 4);
  const back = limit.admit('198.51.100.1', T0 - 3_600_000);
  assert.equal(back.record, true);
  assert.equal(back.ended?.unrecorded, 1);
});

test('an IPv6 /64 is one source (core/net/traffic-source.ts)', () => {
  const limit = new AnonymousAuditLimit(LIMITS);
  let recorded = 0;
  for (let i = 1; i <= 10; i += 1) {
    recorded += limit.admit(`2001:db8:1:2::${i.toString(16)}`, T0).record ? 1 : 0;
  }
  assert.equal(recorded, 3, 'ten addresses of one /64 share its three');
});

test('sources beyond maxSources count against the overall limit only; memory stays bounded', () => {
  const limit = new AnonymousAuditLimit({ ...LIMITS, overall: 100 });
  let recorded = 0;
  for (let i = 0; i < 50; i += 1) {
    recorded += limit.admit(`198.51.100.${i}`, T0).record ? 1 : 0;
    recorded += limit.admit(`198.51.100.${i}`, T0).record ? 1 : 0;
  }
  assert.equal(recorded, 100, 'untracked sources are not refused for being untracked');
  assert.equal(recordedOf(limit, '198.51.100.0', 1), 0, 'the overall limit still holds');
  const summary = limit.flush();
  assert.equal(summary?.unrecorded, 1);
  assert.deepEqual(summary?.top, [{ source: '198.51.100.0', unrecorded: 1 }]);
});
