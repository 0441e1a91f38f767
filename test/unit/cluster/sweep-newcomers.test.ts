/** The agents greeted lately, swept once each a tick after (sweep-newcomers.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SweepNewcomers } from '../../../src/cluster/sweep-newcomers.js';

const due = (n: SweepNewcomers): [string, number][] => [...n.take()];

test('an agent greeted between two ticks is due at the second, once, with the seq its hello read to', () => {
  const n = new SweepNewcomers();
  assert.deepEqual(due(n), [], 'nobody greeted');
  n.greeted('001', 7);
  n.greeted('002', 0);
  assert.deepEqual(due(n), [], 'greeted since the last tick: the routes settle until the next one');
  n.greeted('003', 2);
  assert.deepEqual(due(n), [
    ['001', 7],
    ['002', 0],
  ]);
  assert.deepEqual(due(n), [['003', 2]]);
  assert.deepEqual(due(n), [], 'each once');
});

test("an agent greeted again (a reconnection) is due again, with its new hello's seq", () => {
  const n = new SweepNewcomers();
  n.greeted('001', 3);
  n.take();
  n.greeted('001', 5);
  assert.deepEqual(due(n), [['001', 3]]);
  assert.deepEqual(due(n), [['001', 5]]);
  assert.deepEqual(due(n), []);
});
