/**
 * Order expiry (order-delivery.ts expireDue over ManagerStore.expireOrders, on SQLite): only the
 * orders still queued when the write lands expire; one acked between the expiry's read and its
 * write (on another node of a cluster, or by this node's link) stays delivered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ManagerEvent } from '../../src/manager/manager-service.js';
import type { ManagerContext } from '../../src/manager/manager-context.js';
import type { ManagerStore } from '../../src/core/orders/manager-store.js';
import { expireDue } from '../../src/manager/order-delivery.js';
import { newOrder } from '../contract/manager-store.fixtures.js';
import { withManagerHost } from './support/manager-host.js';

test('an order acked after the expiry read its queue stays delivered; the others expire, each said once', async () => {
  await withManagerHost('riposte-expiry-', async (host) => {
    const store = host.store;
    await store.enqueueOrders([
      newOrder({ createdAt: 1, expiresAt: 5 }),
      newOrder({ createdAt: 2, expiresAt: 6 }),
      newOrder({ createdAt: 3, expiresAt: 1000 }), // not due
    ]);
    // The ack of 001#2 lands between the read of the due orders and the expiry's write.
    const raced: ManagerStore = Object.assign(Object.create(store) as ManagerStore, {
      expirableOrders: async (now: number) => {
        const due = await store.expirableOrders(now);
        await store.ackOrders([{ agentId: '001', seq: 2 }], 8);
        return due;
      },
    });
    const events: ManagerEvent[] = [];
    const ctx: ManagerContext = { ...host.ctx, store: raced, now: () => 10, emit: (e) => events.push(e) };
    assert.equal(await expireDue(ctx), 1);
    assert.deepEqual(
      [(await store.getOrder('001', 1))?.state, (await store.getOrder('001', 1))?.expiredAt],
      ['expired', 10],
    );
    const acked = await store.getOrder('001', 2);
    assert.deepEqual([acked?.state, acked?.deliveredAt, acked?.expiredAt], ['delivered', 8, undefined]);
    assert.equal((await store.getOrder('001', 3))?.state, 'queued');
    assert.deepEqual(events, [{ type: 'order-state', agentId: '001', seq: 1, state: 'expired' }]);
    assert.equal(await expireDue({ ...ctx, store }), 0, 'nothing left to expire');
  });
});
