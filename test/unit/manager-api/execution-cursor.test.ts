/**
 * The execution feed's cursor over the store's numbers (src/manager-api/execution-cursor.ts): a
 * number skipped below the highest read is asked for again until it shows up, for at most
 * GAP_TTL_MS, and at most MAX_GAPS are kept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  GAP_TTL_MS,
  MAX_GAPS,
  advance,
  cursorAt,
  gapList,
} from '../../../src/manager-api/execution-cursor.js';

const T = 1_700_000_000_000;

test('numbers read in a row leave no gap; the cursor moves to the highest', () => {
  const c = advance(cursorAt(10), [11, 12, 13], T);
  assert.equal(c.after, 13);
  assert.deepEqual(gapList(c), []);
  assert.deepEqual(advance(c, [], T), c);
});

test('skipped numbers are asked again, and leave once read (a transaction that committed late)', () => {
  let c = advance(cursorAt(10), [11, 14, 16], T);
  assert.equal(c.after, 16);
  assert.deepEqual(gapList(c), [12, 13, 15]);
  c = advance(c, [13, 17], T + 1_000);
  assert.deepEqual(gapList(c), [12, 15]);
  assert.equal(c.after, 17);
});

test('a gap is forgotten after GAP_TTL_MS (an insert that rolled back never shows up)', () => {
  let c = advance(cursorAt(0), [2], T);
  c = advance(c, [5], T + 60_000);
  assert.deepEqual(gapList(c), [1, 3, 4]);
  c = advance(c, [], T + GAP_TTL_MS);
  assert.deepEqual(gapList(c), [3, 4]);
  c = advance(c, [], T + 60_000 + GAP_TTL_MS);
  assert.deepEqual(gapList(c), []);
});

test('at most MAX_GAPS are kept, the most recent numbers', () => {
  const c = advance(cursorAt(0), [3 * MAX_GAPS], T);
  const gaps = gapList(c);
  assert.equal(gaps.length, MAX_GAPS);
  assert.equal(gaps[0], 2 * MAX_GAPS);
  assert.equal(gaps[gaps.length - 1], 3 * MAX_GAPS - 1);
  const later = advance(c, [3 * MAX_GAPS + 10], T + 1);
  assert.equal(gapList(later).length, MAX_GAPS, 'older gaps dropped first');
  assert.equal(gapList(later).at(-1), 3 * MAX_GAPS + 9);
});
