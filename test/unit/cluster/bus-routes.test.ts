/**
 * The order bus's routes (src/cluster/bus-routes.ts) and their wire form beside the batches'
 * (order-bus.ts): which node holds which agent, a release that only its holder can make, the
 * memory's bound, route changes packed under the size limit, and what a receiver keeps or skips.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALIVE_EVERY_MS,
  BusRoutes,
  NODE_SILENT_MS,
  RouteChanges,
  packRoutes,
} from '../../../src/cluster/bus-routes.js';
import { batchTarget, decodeMessage, packBatches, type BusOrder } from '../../../src/cluster/order-bus.js';

const A = '0f3c8f0e-1111-4a4a-9b9b-000000000001';
const B = '0f3c8f0e-1111-4a4a-9b9b-000000000002';
const C = '0f3c8f0e-1111-4a4a-9b9b-000000000003';
const order = (agentId: string, seq = 1): BusOrder => ({
  agentId,
  seq,
  kind: 'add',
  payload: `{"n":${seq}}`,
});

test('routes: the last node to hold an agent wins; only that node releases it', () => {
  const r = new BusRoutes();
  r.heardFrom(A, 0);
  r.heardFrom(B, 0);
  r.apply(A, { held: ['001', '002'], released: [] });
  r.apply(B, { held: ['002'], released: [] });
  assert.equal(r.nodeOf('001', 1), A);
  assert.equal(r.nodeOf('002', 1), B);
  // A lets 002 go after B took it (A noticed the close late): B keeps it.
  r.apply(A, { held: [], released: ['002', '001'] });
  assert.equal(r.nodeOf('002', 1), B);
  assert.equal(r.nodeOf('001', 1), undefined);
  assert.equal(r.size, 1);
  r.clear();
  assert.equal(r.size, 0);
});

test('routes: orders split by node, unknown agents for every node', () => {
  const r = new BusRoutes();
  r.heardFrom(A, 0);
  r.heardFrom(B, 0);
  r.apply(A, { held: ['001', '003'], released: [] });
  r.apply(B, { held: ['002'], released: [] });
  const parts = r.split([order('001'), order('002'), order('004'), order('003', 2)], 1_000);
  assert.deepEqual(
    [...parts].map(([to, os]) => [to, os.map((o) => `${o.agentId}#${o.seq}`)]),
    [
      [A, ['001#1', '003#2']],
      [B, ['002#1']],
      [undefined, ['004#1']],
    ],
  );
});

test('routes: a node not heard from for NODE_SILENT_MS is taken for gone, until it speaks again', () => {
  const r = new BusRoutes();
  r.heardFrom(A, 0);
  r.heardFrom(B, 0);
  r.apply(A, { held: ['001'], released: [] });
  r.apply(B, { held: ['002'], released: [] });
  r.heardFrom(B, ALIVE_EVERY_MS); // B says it is alive; A died without releasing 001
  const t = NODE_SILENT_MS + 1;
  assert.equal(r.nodeOf('001', t - 2), A, 'within the limit');
  assert.equal(r.nodeOf('001', t), undefined, 'A silent: 001 goes to every node');
  assert.equal(r.nodeOf('002', t), B);
  assert.deepEqual([...r.split([order('001'), order('002')], t).keys()], [undefined, B]);
  r.heardFrom(A, t); // A was only slow: routed to it again
  assert.equal(r.nodeOf('001', t), A);
  // A node never heard from (its announcement without any message since): not routed to.
  r.apply(C, { held: ['003'], released: [] });
  assert.equal(r.nodeOf('003', t), undefined);
});

test('routes: bounded, the oldest learned forgotten first', () => {
  const r = new BusRoutes(3);
  for (const n of [A, B, C]) {
    r.heardFrom(n, 0);
  }
  r.apply(A, { held: ['001', '002', '003'], released: [] });
  r.apply(B, { held: ['001'], released: [] }); // learned again: now the newest
  r.apply(C, { held: ['004'], released: [] });
  assert.equal(r.size, 3);
  assert.equal(r.nodeOf('002', 1), undefined);
  assert.deepEqual(
    ['001', '003', '004'].map((id) => r.nodeOf(id, 1)),
    [B, A, C],
  );
});

test("a node's own changes: the last event of each agent wins, then taken once", () => {
  const c = new RouteChanges();
  c.note('001', true);
  c.note('002', true);
  c.note('001', false);
  c.note('003', false);
  c.note('003', true);
  assert.deepEqual(c.take(), { held: ['002', '003'], released: ['001'] });
  assert.equal(c.size, 0);
  assert.deepEqual(c.take(), { held: [], released: [] });
});

test('route changes: packed under the size limit and decoded by the other nodes only', () => {
  const held = Array.from({ length: 3_000 }, (_, i) => `agent-${i}`);
  const released = ['gone-1', 'gone-2'];
  const messages = packRoutes(A, { held, released }, 7_900);
  assert.ok(messages.length > 1);
  const back = { held: [] as string[], released: [] as string[] };
  for (const m of messages) {
    assert.ok(Buffer.byteLength(m) <= 7_900, `${Buffer.byteLength(m)} bytes`);
    assert.equal(batchTarget(m), undefined, 'route changes go to every node');
    assert.equal(decodeMessage(m, A), undefined, 'own message');
    const d = decodeMessage(m, B);
    assert.equal(d?.type, 'routes');
    if (d?.type === 'routes') {
      assert.equal(d.node, A);
      back.held.push(...d.change.held);
      back.released.push(...d.change.released);
    }
  }
  assert.deepEqual(back, { held, released });
  // An empty change is one empty message: the node says it is alive.
  const [alive, ...none] = packRoutes(A, { held: [], released: [] }, 7_900);
  assert.deepEqual(none, []);
  assert.deepEqual(decodeMessage(alive ?? '', B), {
    type: 'routes',
    node: A,
    change: { held: [], released: [] },
  });
  // An id too long for any message is left out (its orders go to every node).
  assert.deepEqual(packRoutes(A, { held: ['x'.repeat(8_000)], released: [] }, 7_900), [alive]);
  const one = messages[0] ?? '';
  assert.equal(decodeMessage(`${one}x`, B), undefined, 'anything after the line');
  assert.equal(decodeMessage(`{"n":"${A}","h":[1],"r":[]}\n`, B), undefined, 'ids are strings');
  assert.equal(decodeMessage(`{"n":"${A}","h":[]}\n`, B), undefined, 'both lists');
});

test('batches routed to one node: decoded there as routed, skipped unparsed everywhere else', () => {
  const orders = [order('001'), order('002', 2)];
  const [routed, ...more] = packBatches(A, orders, 7_900, B);
  assert.deepEqual(more, []);
  assert.ok(routed?.startsWith(`{"t":"${B}",`));
  assert.equal(batchTarget(routed ?? ''), B);
  assert.deepEqual(decodeMessage(routed ?? '', B), { type: 'orders', orders, routed: true, from: A });
  assert.equal(decodeMessage(routed ?? '', C), undefined, 'routed to another node');
  assert.equal(decodeMessage(routed ?? '', A), undefined, 'the sender');
  // Skipped by its first characters: a batch for another node is not even parsed.
  assert.equal(decodeMessage(`{"t":"${B}", not json at all`, C), undefined);
  const [all] = packBatches(A, orders, 7_900);
  assert.equal(batchTarget(all ?? ''), undefined);
  assert.deepEqual(decodeMessage(all ?? '', C), { type: 'orders', orders, routed: false, from: A });
  assert.equal(decodeMessage(all ?? '', A), undefined, 'own broadcast');
  // A route change cannot be routed: a node only announces to every node.
  assert.equal(decodeMessage(`{"t":"${B}","n":"${A}","h":["001"],"r":[]}\n`, B), undefined);
});
