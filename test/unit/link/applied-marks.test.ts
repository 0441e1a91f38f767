/** The agent's applied-order marks (applied-marks.ts): a floor over seqs applied in a row, gaps kept. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  marksAfter,
  marksCutAt,
  marksSettledThrough,
  marksTop,
  type AppliedMarks,
} from '../../../src/link/applied-marks.js';

const marks = (floor: number, above: number[] = [], missing: number[] = []): AppliedMarks => ({
  floor,
  above: new Set(above),
  missing: new Set(missing),
});
const sorted = (s: ReadonlySet<number>): number[] => [...s].sort((a, b) => a - b);
const plain = (m: AppliedMarks): [number, number[]] => [m.floor, sorted(m.above)];
const caps = (above: number, missing = 100): { above: number; missing: number } => ({ above, missing });

describe('applied order marks', () => {
  test('seqs applied in a row raise the floor', () => {
    const { marks: m, skipped } = marksAfter(marks(0), [1, 2, 3], []);
    assert.deepEqual(plain(m), [3, []]);
    assert.deepEqual(skipped, []);
  });

  test('a seq applied before a lower one that has not come yet leaves the gap open', () => {
    // Node C sent its own order 8 at once; order 7, stored by node A, is still on the bus.
    const first = marksAfter(marks(6), [8], []).marks;
    assert.deepEqual(plain(first), [6, [8]]);
    // 7 comes: the floor passes both.
    assert.deepEqual(plain(marksAfter(first, [7], []).marks), [8, []]);
  });

  test('seqs at or below the floor change nothing', () => {
    assert.deepEqual(plain(marksAfter(marks(5, [7]), [3, 5], []).marks), [5, [7]]);
  });

  test('past the cap, the floor passes the oldest gaps (kept as missing), never a running order', () => {
    const { marks: m, skipped, dropped } = marksAfter(marks(0, [3, 5, 6]), [8], [], caps(2));
    // 4 seqs above the floor, cap 2: the floor moves to 5 (gaps 1, 2, 4 passed), then over 6.
    assert.deepEqual(plain(m), [6, [8]]);
    assert.deepEqual(skipped, [1, 2, 4]);
    assert.deepEqual(sorted(m.missing), [1, 2, 4], 'passed, not given up: they run if they come');
    assert.deepEqual(dropped, []);
    const held = marksAfter(marks(0, [3, 5, 6]), [8], [2], caps(2));
    assert.deepEqual(plain(held.marks), [1, [3, 5, 6, 8]], 'order 2 still runs: the floor stays below it');
    assert.deepEqual(held.skipped, [1]);
  });

  test('a missing seq that comes at last leaves the missing list; the list is capped, oldest first', () => {
    const late = marksAfter(marks(6, [8], [1, 2, 4]), [2], []);
    assert.deepEqual(plain(late.marks), [6, [8]]);
    assert.deepEqual(sorted(late.marks.missing), [1, 4]);
    const unchanged = marks(6, [8], [1, 4]);
    assert.equal(marksAfter(unchanged, [9], []).marks.missing, unchanged.missing, 'same set: not rewritten');
    const full = marksAfter(marks(10, [13, 15, 16], [1, 2]), [18], [], caps(2, 3));
    assert.deepEqual(plain(full.marks), [16, [18]]);
    assert.deepEqual(full.skipped, [11, 12, 14]);
    assert.deepEqual(sorted(full.marks.missing), [11, 12, 14]);
    assert.deepEqual(full.dropped, [1, 2], 'the oldest missing seqs are given up past the cap');
  });

  test("the manager's settledThrough closes the gaps at or below it, never lowers the floor", () => {
    assert.deepEqual(plain(marksSettledThrough(marks(2, [5, 6, 9]), 4)), [6, [9]]);
    assert.deepEqual(plain(marksSettledThrough(marks(8, [10]), 4)), [8, [10]]);
    const cleared = marksSettledThrough(marks(8, [10], [3, 7]), 5);
    assert.deepEqual(sorted(cleared.missing), [7], 'missing seqs at or below it will never come');
  });

  test('the top is the highest seq counted as applied', () => {
    assert.equal(marksTop(marks(0)), 0);
    assert.equal(marksTop(marks(4)), 4);
    assert.equal(marksTop(marks(4, [9, 6])), 9);
  });

  test('a cut at or above the top is no change (the same marks)', () => {
    const m = marks(4, [6, 9], [2]);
    assert.equal(marksCutAt(m, 9), m);
    assert.equal(marksCutAt(m, 20), m);
  });

  test('a cut drops every seq above it: the floor, the seqs above it, the missing ones', () => {
    assert.deepEqual(plain(marksCutAt(marks(4, [6, 9]), 7)), [4, [6]]);
    const below = marksCutAt(marks(8, [10], [3, 7]), 5);
    assert.deepEqual(plain(below), [5, []]);
    assert.deepEqual(sorted(below.missing), [3]);
    const m = marks(8, [10], [3]);
    assert.equal(marksCutAt(m, 5).missing, m.missing, 'the same set when none of it goes');
  });
});
