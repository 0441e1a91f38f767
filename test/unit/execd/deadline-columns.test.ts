/** withoutRows: column-wise deadlines minus the overdue rows a restart reverts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withoutRows } from '../../../src/core/execd/deadline-columns.js';

test('withoutRows returns the same columns (not a copy) when nothing is dropped', () => {
  const cols = { keys: ['a', 'b'], expiresAt: [1, 2] };
  assert.equal(withoutRows(cols, []), cols);
});

test('withoutRows drops the listed rows from both columns, keeping the order', () => {
  const cols = { keys: ['a', 'b', 'c', 'd', 'e'], expiresAt: [1, 2, 3, 4, 5] };
  assert.deepEqual(withoutRows(cols, [0, 2, 4]), { keys: ['b', 'd'], expiresAt: [2, 4] });
  assert.deepEqual(withoutRows(cols, [0, 1, 2, 3, 4]), { keys: [], expiresAt: [] });
  assert.deepEqual(cols.keys, ['a', 'b', 'c', 'd', 'e'], 'the input is left as it was');
});
