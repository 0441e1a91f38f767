/**
 * A bus's outbox (src/cluster/bus-outbox.ts): orders and route changes queued as sealed messages
 * (bus-seal.ts) and the bus asked to send them; nothing once the bus is closed; past the bound the oldest dropped and
 * the drop reported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BusOutbox, type OutboxBus } from '../../../src/cluster/bus-outbox.js';
import { batchTarget, decodeMessage, type BusOrder } from '../../../src/cluster/order-bus.js';
import { BusSeal, newBusKey } from '../../../src/cluster/bus-seal.js';

const seal = new BusSeal(newBusKey());

class FakeBus implements OutboxBus {
  closed = false;
  flushes = 0;
  readonly drops: number[] = [];
  isClosed(): boolean {
    return this.closed;
  }
  flush(): void {
    this.flushes++;
  }
  dropped(count: number): void {
    this.drops.push(count);
  }
}

const order = (seq: number): BusOrder => ({ agentId: '001', seq, kind: 'add', payload: `{"n":${seq}}` });

test('orders and route changes are queued in order and the bus asked to send them', () => {
  const bus = new FakeBus();
  const out = new BusOutbox('node-a', { maxBytes: 7_900, maxPending: 10 }, bus, seal);
  out.publish([order(1)], 'node-b');
  out.announce({ held: ['001'], released: [] });
  out.publish([order(2)]);
  out.publish([]); // nothing to send: the bus is not asked
  out.announce({ held: [], released: [] }); // empty: still sent, it says the node is alive
  assert.equal(bus.flushes, 4);
  assert.deepEqual(out.pending.map(batchTarget), ['node-b', undefined, undefined, undefined]);
  assert.deepEqual(
    out.pending.map(
      (m) => decodeMessage(seal.open(m) ?? '', m.startsWith('{"t":') ? 'node-b' : 'node-c')?.type,
    ),
    ['orders', 'routes', 'orders', 'routes'],
  );
});

test('nothing is queued once the bus is closed; past the bound the oldest go, and the bus is told', () => {
  const bus = new FakeBus();
  const out = new BusOutbox('node-a', { maxBytes: 7_900, maxPending: 2 }, bus, seal);
  for (let seq = 1; seq <= 4; seq++) {
    out.publish([order(seq)]);
  }
  assert.deepEqual(bus.drops, [1, 1]);
  assert.deepEqual(
    out.pending.map((m) => {
      const d = decodeMessage(seal.open(m) ?? '', 'node-b');
      return d?.type === 'orders' ? d.orders[0]?.seq : undefined;
    }),
    [3, 4],
  );
  bus.closed = true;
  out.publish([order(5)]);
  out.announce({ held: ['001'], released: [] });
  assert.equal(out.pending.length, 2);
  assert.equal(bus.flushes, 4);
});
