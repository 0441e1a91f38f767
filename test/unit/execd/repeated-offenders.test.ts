/**
 * offenderTimeout (reference §2.5): the timeout of the n-th add of one rkey.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { offenderTimeout } from '../../../src/core/execd/repeated-offenders.js';

/** Timeouts of `n` successive adds, threading the stored count as execd does. */
function sequence(arTimeoutSec: number, values: readonly number[], n: number): number[] {
  const out: number[] = [];
  let count = 0;
  for (let i = 0; i < n; i++) {
    const r = offenderTimeout(arTimeoutSec, count, values);
    out.push(r.timeoutSec);
    count = r.nextCount;
  }
  return out;
}

describe('offenderTimeout', () => {
  test('reference example: 1,5,10 with timeout 600 -> 600, 60, 300, 600, 600', () => {
    assert.deepEqual(sequence(600, [1, 5, 10], 5), [600, 60, 300, 600, 600]);
  });

  test('the first offence is not escalated; later ones are', () => {
    const first = offenderTimeout(600, 0, [1, 5, 10]);
    assert.deepEqual(first, { timeoutSec: 600, nextCount: 1, escalated: false });
    const second = offenderTimeout(600, first.nextCount, [1, 5, 10]);
    assert.deepEqual(second, { timeoutSec: 60, nextCount: 2, escalated: true });
  });

  test('beyond the list the last value repeats', () => {
    assert.deepEqual(offenderTimeout(600, 40, [1, 5, 10]), {
      timeoutSec: 600,
      nextCount: 41,
      escalated: true,
    });
  });

  test('a list starting with 0 is off: the AR timeout every time, count untouched', () => {
    assert.deepEqual(sequence(600, [0, 5, 10], 4), [600, 600, 600, 600]);
    assert.deepEqual(offenderTimeout(600, 3, [0, 5]), { timeoutSec: 600, nextCount: 3, escalated: false });
  });

  test('an empty list is off', () => {
    assert.deepEqual(sequence(120, [], 3), [120, 120, 120]);
  });

  test('AR timeout 0 is never touched nor counted', () => {
    assert.deepEqual(offenderTimeout(0, 0, [1, 5, 10]), { timeoutSec: 0, nextCount: 0, escalated: false });
    assert.deepEqual(offenderTimeout(0, 2, [1, 5, 10]), { timeoutSec: 0, nextCount: 2, escalated: false });
  });

  test('a zero inside the list truncates it there', () => {
    assert.deepEqual(sequence(600, [1, 0, 10], 4), [600, 60, 60, 60]);
    assert.deepEqual(sequence(600, [2, 3, 0, 10], 5), [600, 120, 180, 180, 180]);
  });

  test('the 2nd offence may be shorter than the base timeout (no monotonicity check)', () => {
    const r = offenderTimeout(3600, 1, [1]);
    assert.ok(r.timeoutSec < 3600);
    assert.equal(r.timeoutSec, 60);
  });
});
