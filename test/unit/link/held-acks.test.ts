/**
 * HeldAcks (src/link/held-acks.ts): an ack waits only for its own execution's report, never past
 * the hold, and a link that goes away voids what is held.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HeldAcks } from '../../../src/link/held-acks.js';

describe('HeldAcks', () => {
  test('orders with no execution to report are acked at once; the others are held', () => {
    const h = new HeldAcks();
    h.mapped(2);
    h.mapped(3);
    assert.deepEqual(h.settle([1, 2, 3], 100), [1]);
  });

  test('a report run takes the acks of its executions, and all of them when no run follows', () => {
    const h = new HeldAcks();
    for (const seq of [1, 2, 3]) {
      h.mapped(seq);
    }
    h.settle([1, 2, 3], 100);
    h.reported(1);
    assert.deepEqual(h.due(true, 0), [1], 'another run follows at once: 2 and 3 wait for theirs');
    h.reported(2);
    assert.deepEqual(h.due(false, 0), [2, 3], 'the last run: 3 (still running) is acked anyway');
    assert.deepEqual(h.due(false, 0), [], 'each ack sent once');
  });

  test('an ack held since the hold ago goes, whatever follows', () => {
    const h = new HeldAcks();
    h.mapped(1);
    h.mapped(2);
    h.settle([1], 100);
    h.settle([2], 200);
    assert.deepEqual(h.due(true, 150), [1]);
    assert.deepEqual(h.due(true, 200), [2]);
  });

  test('clear voids the held acks (a new link: the manager redelivers, the orders are acked again)', () => {
    const h = new HeldAcks();
    h.mapped(1);
    h.settle([1], 100);
    h.clear();
    assert.deepEqual(h.due(false, 1_000), []);
  });
});
