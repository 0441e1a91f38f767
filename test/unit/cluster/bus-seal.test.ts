/**
 * The order bus's seal (src/cluster/bus-seal.ts) and what a receiving node does with a message
 * (src/cluster/bus-receive.ts): only messages sealed under the cluster's key reach its handlers;
 * the others are dropped and reported, one warning per 10 s at most; messages that are not for
 * this node are skipped before any seal is checked. Against real servers:
 * test/cluster/bus-seal.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BusSeal, SEAL_CHARS, isBusKey, newBusKey } from '../../../src/cluster/bus-seal.js';
import { BusReceiver, UNSEALED_WARN_MS } from '../../../src/cluster/bus-receive.js';
import { packBatches, type BusHandlers, type BusOrder } from '../../../src/cluster/order-bus.js';
import { packRoutes } from '../../../src/cluster/bus-routes.js';

const order = (seq: number): BusOrder => ({
  agentId: '001',
  seq,
  kind: 'add',
  payload: `{"a":"é ✓ ${seq}"}`,
});
const batch = (from: string, seq: number, to?: string): string =>
  packBatches(from, [order(seq)], 7_900, to)[0] ?? '';

void test('a sealed message opens to itself; altered, cut, or under another key it does not', () => {
  const key = newBusKey();
  assert.ok(isBusKey(key));
  const seal = new BusSeal(key);
  const message = batch('node-a', 1);
  const sealed = seal.seal(message);
  assert.equal(sealed.length, message.length + SEAL_CHARS);
  assert.ok(sealed.startsWith(message), 'the first characters are unchanged (routing reads them)');
  assert.equal(seal.open(sealed), message);
  assert.equal(new BusSeal(key).open(sealed), message, 'any node with the key');
  assert.equal(new BusSeal(newBusKey()).open(sealed), undefined, 'another cluster');
  assert.equal(seal.open(sealed.replace('"a":"é', '"a":"e')), undefined, 'a payload altered');
  assert.equal(seal.open(sealed.slice(1)), undefined, 'cut at the start');
  assert.equal(seal.open(sealed.slice(0, -1)), undefined, 'cut at the end');
  assert.equal(seal.open(message), undefined, 'no seal');
  assert.equal(seal.open('short'), undefined);
  assert.equal(seal.open(''), undefined);
  assert.throws(() => new BusSeal('not-a-key'), /malformed/);
  assert.equal(isBusKey(`${key}=`), false);
});

interface Got {
  orders: number[];
  routes: string[];
}

function handlers(got: Got): BusHandlers {
  return {
    onOrders: (orders) => got.orders.push(...orders.map((o) => o.seq)),
    onRoutes: (node, change) => got.routes.push(`${node}:${change.held.join(',')}`),
    onResync: () => undefined,
  };
}

void test('only sealed messages reach the handlers; the others are reported once per 10 s', () => {
  const seal = new BusSeal(newBusKey());
  const forger = new BusSeal(newBusKey());
  let now = 1_000_000;
  const warnings: string[] = [];
  const r = new BusReceiver(
    'node-b',
    seal,
    (t) => warnings.push(t),
    () => now,
  );
  const got: Got = { orders: [], routes: [] };
  const h = handlers(got);
  r.receive(seal.seal(batch('node-a', 1)), h);
  r.receive(seal.seal(batch('node-a', 2, 'node-b')), h);
  r.receive(seal.seal(packRoutes('node-a', { held: ['007'], released: [] }, 7_900)[0] ?? ''), h);
  r.receive(batch('node-a', 3), h); // no seal
  now += 1_000;
  r.receive(forger.seal(batch('node-a', 4)), h); // another key
  now += UNSEALED_WARN_MS - 1_000;
  r.receive(`${batch('node-a', 5)}${'x'.repeat(SEAL_CHARS)}`, h); // a made-up seal
  assert.deepEqual(got, { orders: [1, 2], routes: ['node-a:007'] });
  assert.equal(warnings.length, 2, warnings.join('\n'));
  assert.match(warnings[0] ?? '', /^Order bus: 1 message\(s\) without a valid seal dropped/);
  assert.match(warnings[1] ?? '', /^Order bus: 2 message\(s\) without a valid seal dropped/);
});

void test('messages not for this node are skipped before any seal is checked, and never reported', () => {
  const seal = new BusSeal(newBusKey());
  const warnings: string[] = [];
  const r = new BusReceiver('node-b', seal, (t) => warnings.push(t));
  const got: Got = { orders: [], routes: [] };
  r.receive(batch('node-b', 1), handlers(got)); // its own broadcast (NOTIFY reaches the sender)
  r.receive(batch('node-a', 2, 'node-c'), handlers(got)); // routed to another node
  r.receive(seal.seal(batch('node-b', 3)), handlers(got));
  assert.deepEqual(got, { orders: [], routes: [] });
  assert.deepEqual(warnings, []);
});
