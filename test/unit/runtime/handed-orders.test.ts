/**
 * What a cluster node sends of the orders it did not just store (runtime/handed-orders.ts): an
 * order handed over the bus, or re-sent from the store, goes to the agent only while within its
 * time to live; one past it is left for the expiry timer, and a late hand-off is reported. And the
 * bus carries each order's expiry with its payload (cluster/order-bus.ts), readable by a node of
 * an earlier version and from one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LATE_WARN_MS,
  LateHandOffs,
  deliverHanded,
  resend,
  resendNewcomers,
  type HandedDeps,
} from '../../../src/runtime/handed-orders.js';
import { decodeMessage, packBatches, type BusOrder } from '../../../src/cluster/order-bus.js';
import { SweepResends } from '../../../src/cluster/sweep-resends.js';
import type { StoredOrder } from '../../../src/core/orders/manager-store.js';
import type { ManagerFrame } from '../../../src/protocol/link.js';
import { queuedOrder } from '../../../src/store/sqlite-manager-rows.js';
import { newOrder } from '../../contract/manager-store.fixtures.js';

const NOW = 1_000_000;

const stored = (seq: number, expiresAt: number, agentId = '001'): StoredOrder =>
  queuedOrder(newOrder({ agentId, expiresAt, payload: `{"n":${seq}}` }), seq);

/** A node holding `held`'s links, with `queue` in its store; records what it sends and warns. */
function node(held: readonly string[], queue: readonly StoredOrder[] = []) {
  const sent: { agentId: string; frame: ManagerFrame }[] = [];
  const warnings: string[] = [];
  const deps: HandedDeps = {
    sessions: {
      accepts: (id) => held.includes(id),
      isReady: (id) => held.includes(id),
      send: (agentId, frame) => {
        sent.push({ agentId, frame });
        return true;
      },
    },
    store: {
      getOrder: (agentId, seq) => Promise.resolve(queue.find((o) => o.agentId === agentId && o.seq === seq)),
      queuedOrdersOf: (ids) => Promise.resolve(queue.filter((o) => ids.includes(o.agentId))),
    },
    now: () => NOW,
  };
  const late = new LateHandOffs(
    (t) => warnings.push(t),
    () => NOW,
  );
  const seqs = (): number[] => sent.flatMap((s) => (s.frame.type === 'order' ? [s.frame.seq] : []));
  return { deps, late, sent, warnings, seqs };
}

test('a hand-off past its time to live is not sent to the agent, and is reported; the others are', async () => {
  const n = node(['001']);
  const orders: BusOrder[] = [
    { agentId: '001', seq: 1, kind: 'add', payload: '{"n":1}', expiresAt: NOW - 1 },
    { agentId: '001', seq: 2, kind: 'add', payload: '{"n":2}', expiresAt: NOW },
    { agentId: '001', seq: 3, kind: 'revert', payload: '198.51.100.7', expiresAt: NOW + 60_000 },
    { agentId: '001', seq: 4, kind: 'add', payload: '{"n":4}' }, // from a node without expiries
    { agentId: '002', seq: 1, kind: 'add', payload: '{"n":1}', expiresAt: NOW - 1 },
  ];
  const missed = await deliverHanded(n.deps, orders, n.late);
  assert.deepEqual(n.seqs(), [2, 3, 4], 'at its expiry time an order is still live (expired after it)');
  assert.deepEqual(
    missed.map((o) => `${o.agentId}#${o.seq}`),
    ['002#1'],
    'an order for an agent held elsewhere is sent on, whatever its expiry: the holder decides',
  );
  assert.equal(n.warnings.length, 1);
  assert.match(n.warnings[0] ?? '', /1 order\(s\) handed over .* past their time to live/);
});

test('late hand-offs are reported at most once per 10 s, with how many since the last report', () => {
  let now = 0;
  const warnings: string[] = [];
  const late = new LateHandOffs(
    (t) => warnings.push(t),
    () => now,
  );
  late.add(3);
  now = 1_000;
  late.add(500); // a replay's next batches: counted, not reported yet
  now = 9_999;
  late.add(1);
  late.flush(); // too soon: nothing
  now = LATE_WARN_MS;
  late.add(2);
  now = 1.5 * LATE_WARN_MS;
  late.add(4); // counted, and no hand-off comes after it
  now = 2 * LATE_WARN_MS;
  late.flush(); // the sweep's tick reports it
  now = 3 * LATE_WARN_MS;
  late.flush(); // nothing counted since: nothing
  assert.deepEqual(
    warnings.map((w) => /: (\d+) order/.exec(w)?.[1]),
    ['3', '503', '4'],
  );
});

test('a hand-off without its payload is read from the store and sent only while queued and live', async () => {
  const n = node(
    ['001'],
    [stored(1, NOW - 1), stored(2, NOW + 1), { ...stored(3, NOW + 1), state: 'expired' }],
  );
  await deliverHanded(
    n.deps,
    [
      { agentId: '001', seq: 1, kind: 'add' },
      { agentId: '001', seq: 2, kind: 'add' },
      { agentId: '001', seq: 3, kind: 'add' },
    ],
    n.late,
  );
  assert.deepEqual(n.seqs(), [2]);
  assert.deepEqual(n.sent[0]?.frame, { type: 'order', seq: 2, kind: 'add', message: '{"n":2}' });
});

test('re-sends from the store (resync, sweep, newcomers) leave out the orders past their time to live', async () => {
  const queue = [
    stored(1, NOW - 5_000),
    stored(2, NOW + 5_000),
    stored(1, NOW - 1, '002'),
    stored(2, NOW, '002'),
  ];
  const resync = node(['001', '002'], queue);
  await resend(resync.deps, ['001', '002']);
  assert.deepEqual(
    resync.sent.map((s) => `${s.agentId}#${s.frame.type === 'order' ? s.frame.seq : '-'}`),
    ['001#2', '002#2'],
  );

  const sweep = node(['001', '002'], queue);
  const resends = new SweepResends();
  await resend(sweep.deps, ['001', '002'], { before: NOW, resends });
  assert.deepEqual(sweep.seqs(), [2, 2]);
  // The overdue ones were never counted as sent: nothing for them is remembered.
  await resend(sweep.deps, ['001', '002'], { before: NOW, resends });
  assert.deepEqual(sweep.seqs(), [2, 2], 'the live ones once per period, the overdue ones never');

  const newcomers = node(['001'], queue);
  await resendNewcomers(newcomers.deps, new Map([['001', 0]]), new SweepResends());
  assert.deepEqual(newcomers.seqs(), [2]);
});

test('the bus carries an order’s expiry with its payload; items without one still decode', () => {
  const orders: BusOrder[] = [
    { agentId: '001', seq: 1, kind: 'add', payload: '{"n":1}', expiresAt: NOW },
    { agentId: '002', seq: 9, kind: 'revert', payload: '198.51.100.7' },
    { agentId: '003', seq: 4, kind: 'add', payload: 'z'.repeat(9_000), expiresAt: NOW },
  ];
  const [text, ...rest] = packBatches('node-a', orders, 7_900);
  assert.deepEqual(rest, []);
  const m = decodeMessage(text ?? '', 'node-b');
  assert.deepEqual(m?.type === 'orders' ? m.orders : undefined, [
    orders[0],
    orders[1],
    { agentId: '003', seq: 4, kind: 'add' }, // too large: read from the store, expiry and all
  ]);
  // What a node of an earlier version sends (no expiry), and reads (it takes the first four items).
  const old = '{"n":"node-a","o":[["001",1,"a",7]]}\n{"n":1}';
  const fromOld = decodeMessage(old, 'node-b');
  assert.deepEqual(fromOld?.type === 'orders' ? fromOld.orders : undefined, [
    { agentId: '001', seq: 1, kind: 'add', payload: '{"n":1}' },
  ]);
  assert.ok(text?.startsWith(`{"n":"node-a","o":[["001",1,"a",7,${NOW}],["002",9,"r",12],["003",4,"a"]]}\n`));
  // A malformed expiry makes the batch malformed, as a malformed length does.
  for (const bad of ['"1"', '-1', '1.5', 'null']) {
    assert.equal(
      decodeMessage(`{"n":"node-a","o":[["001",1,"a",7,${bad}]]}\n{"n":1}`, 'node-b'),
      undefined,
      bad,
    );
  }
});
