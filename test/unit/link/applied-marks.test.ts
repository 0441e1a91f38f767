/** The agent's applied-order marks (applied-marks.ts): a floor over seqs applied in a row, gaps kept. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { marksAfter, marksSettledThrough, type AppliedMarks } from '../../../src/link/applied-marks.js';

const marks = (floor: number, above: number[] = []): AppliedMarks => ({ floor, above: new Set(above) });
const plain = (m: AppliedMarks): [number, number[]] => [m.floor, [...m.above].sort((a, b) => a - b)];

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

  test('past the cap, the floor passes the oldest gaps (reported), never a running order', () => {
    const { marks: m, skipped } = marksAfter(marks(0, [3, 5, 6]), [8], [], 2);
    // 4 seqs above the floor, cap 2: the floor moves to 5 (gaps 1, 2, 4 given up), then over 6.
    assert.deepEqual(plain(m), [6, [8]]);
    assert.deepEqual(skipped, [1, 2, 4]);
    const held = marksAfter(marks(0, [3, 5, 6]), [8], [2], 2);
    assert.deepEqual(plain(held.marks), [1, [3, 5, 6, 8]], 'order 2 still runs: the floor stays below it');
    assert.deepEqual(held.skipped, [1]);
  });

  test("the manager's settledThrough closes the gaps at or below it, never lowers the floor", () => {
    assert.deepEqual(plain(marksSettledThrough(marks(2, [5, 6, 9]), 4)), [6, [9]]);
    assert.deepEqual(plain(marksSettledThrough(marks(8, [10]), 4)), [8, [10]]);
  });
});
