/** The agents greeted lately, swept once each a tick after (sweep-newcomers.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SweepNewcomers } from '../../../src/cluster/sweep-newcomers.js';

test('an agent greeted between two ticks is due at the second, once', () => {
  const n = new SweepNewcomers();
  assert.deepEqual(n.take(), [], 'nobody greeted');
  n.greeted('001');
  n.greeted('002');
  assert.deepEqual(n.take(), [], 'greeted since the last tick: the routes settle until the next one');
  n.greeted('003');
  assert.deepEqual(n.take(), ['001', '002']);
  assert.deepEqual(n.take(), ['003']);
  assert.deepEqual(n.take(), [], 'each once');
});

test('an agent greeted again (a reconnection) is due again after its new hello', () => {
  const n = new SweepNewcomers();
  n.greeted('001');
  n.take();
  n.greeted('001');
  assert.deepEqual(n.take(), ['001']);
  assert.deepEqual(n.take(), ['001']);
  assert.deepEqual(n.take(), []);
});
