/**
 * The cluster sweep's memory of what it re-sent (sweep-resends.ts): each order at most once per
 * period; the memory holds the agents swept, not those that left this node.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SweepResends } from '../../../src/cluster/sweep-resends.js';
import type { StoredOrder } from '../../../src/core/orders/manager-store.js';
import { newOrder } from '../../contract/manager-store.fixtures.js';
import { queuedOrder } from '../../../src/store/sqlite-manager-rows.js';

const order = (agentId: string, seq: number): StoredOrder => queuedOrder(newOrder({ agentId }), seq);
const keys = (orders: readonly StoredOrder[]): string[] => orders.map((o) => `${o.agentId}#${o.seq}`);

test('an order still queued is re-sent once per period, a new one at once; memory follows the queue', () => {
  const r = new SweepResends(30_000);
  const backlog = [order('001', 1), order('001', 2), order('002', 1)];
  assert.deepEqual(keys(r.due(['001', '002'], backlog, 1_000)), ['001#1', '001#2', '002#1']);
  // The next sweeps (2 s apart): the same orders still queued, not acked yet: nothing again; a
  // new stale order (its hand-off lost) goes at once.
  assert.deepEqual(keys(r.due(['001', '002'], backlog, 3_000)), []);
  assert.deepEqual(keys(r.due(['001', '002'], [...backlog, order('001', 3)], 5_000)), ['001#3']);
  // A period after each was sent: again, each once.
  assert.deepEqual(keys(r.due(['001', '002'], [...backlog, order('001', 3)], 31_000)), [
    '001#1',
    '001#2',
    '002#1',
  ]);
  assert.deepEqual(keys(r.due(['001', '002'], [...backlog, order('001', 3)], 35_000)), ['001#3']);
  // 002 acked everything; 001's sweep is of another slice: 002's memory goes, 001's stays.
  assert.deepEqual(keys(r.due(['002'], [], 36_000)), []);
  assert.equal(r.agents, 1);
  assert.deepEqual(keys(r.due(['001'], [], 37_000)), []);
  assert.equal(r.agents, 0, 'nothing kept for agents with nothing queued');
});

test('a sweep round forgets the agents that left this node with orders still queued', () => {
  const r = new SweepResends(30_000);
  // Two slices of one round: 001 and 002, then 003, each with stale orders its agent has not acked.
  r.due(['001', '002'], [order('001', 1), order('002', 1), order('002', 2)], 1_000);
  r.due(['003'], [order('003', 1)], 3_000);
  assert.equal(r.agents, 3);
  // 002 left (its link is on another node now): the next round covers 001 and 003 only.
  r.retain(['001', '003']);
  assert.equal(r.agents, 2);
  // The others' memory is kept: their orders are not re-sent before their period.
  assert.deepEqual(keys(r.due(['001'], [order('001', 1)], 5_000)), []);
  assert.deepEqual(keys(r.due(['003'], [order('003', 1)], 7_000)), []);
  // Every agent gone (a rolling restart moved them all): nothing kept.
  r.retain([]);
  assert.equal(r.agents, 0);
  // 002 back here later: its orders still queued are re-sent at its first sweep.
  assert.deepEqual(keys(r.due(['002'], [order('002', 1), order('002', 2)], 9_000)), ['002#1', '002#2']);
});
