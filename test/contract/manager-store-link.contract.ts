/**
 * The ManagerStore's many-agent methods of the link path (updateAgentsSeen, activeAgentNamed,
 * getOrdersOf, ackOrders, expireOrders, queuedOrdersOf, lastExecutionIds, getAgentsByFingerprints): each answers or stores what the per-agent method
 * called for each agent would. Part of managerStoreContract (run on SQLite and PostgreSQL).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  activeFor,
  addAgent,
  execution,
  newOrder,
  seqs,
  withStore,
  type MakeManagerStore,
} from './manager-store.fixtures.js';
import type { StoredOrder } from '../../src/core/orders/manager-store.js';

const keysOf = (orders: readonly StoredOrder[]): string[] => orders.map((o) => `${o.agentId}#${o.seq}`);

export function linkContract(make: MakeManagerStore): void {
  void describe('many-agent methods of the link path', () => {
    void test('updateAgentsSeen: each agent as updateAgentSeen would, a later entry merged over an earlier one', async () => {
      await withStore(make, async (s) => {
        await addAgent(s, 'one', 'AA');
        await addAgent(s, 'two', 'BB');
        await addAgent(s, 'three', 'CC');
        await s.updateAgentSeen('003', { lastSeen: 5, version: 'v0', address: '10.0.0.3', arDisabled: true });
        await s.updateAgentsSeen([
          { id: '002', seen: { lastSeen: 10, version: 'v1', address: '127.0.0.2' } },
          { id: '001', seen: { lastSeen: 11, arDisabled: true } },
          { id: '002', seen: { lastSeen: 12, arDisabled: false } },
          { id: '999', seen: { lastSeen: 13 } },
          { id: '003', seen: { lastSeen: 14 } },
        ]);
        const two = await s.getAgent('002');
        assert.deepEqual(
          [two?.lastSeen, two?.version, two?.address, two?.arDisabled],
          [12, 'v1', '127.0.0.2', false],
        );
        const one = await s.getAgent('001');
        assert.deepEqual([one?.lastSeen, one?.version, one?.arDisabled], [11, undefined, true]);
        const three = await s.getAgent('003');
        assert.deepEqual(
          [three?.lastSeen, three?.version, three?.address, three?.arDisabled],
          [14, 'v0', '10.0.0.3', true],
        );
        await s.updateAgentsSeen([]);
        assert.equal(await s.getAgent('999'), undefined);
      });
    });

    void test('activeAgentNamed: case-insensitive, removed agents excluded, also inside a batch', async () => {
      await withStore(make, async (s) => {
        await addAgent(s, 'Web-01', 'AA');
        await addAgent(s, 'db', 'BB');
        await s.markAgentRemoved('002', 5);
        assert.equal((await s.activeAgentNamed('web-01'))?.id, '001');
        assert.equal((await s.activeAgentNamed('WEB-01'))?.name, 'Web-01');
        assert.equal(await s.activeAgentNamed('db'), undefined);
        assert.equal(await s.activeAgentNamed('web-0'), undefined);
        assert.equal(await s.batch((tx) => tx.activeAgentNamed('Web-01')).then((a) => a?.id), '001');
        await addAgent(s, 'DB', 'CC');
        assert.equal((await s.activeAgentNamed('db'))?.id, '003');
      });
    });

    void test('getOrdersOf: the existing ones among (agent, seq) keys, once each, by agent then seq', async () => {
      await withStore(make, async (s) => {
        await s.enqueueOrders([
          newOrder({ agentId: '002' }),
          newOrder(),
          newOrder(),
          newOrder({ agentId: '002' }),
          newOrder({ agentId: '003' }),
        ]);
        const got = await s.getOrdersOf([
          { agentId: '002', seq: 2 },
          { agentId: '001', seq: 2 },
          { agentId: '002', seq: 9 },
          { agentId: '001', seq: 1 },
          { agentId: '002', seq: 2 },
          { agentId: '004', seq: 1 },
        ]);
        assert.deepEqual(keysOf(got), ['001#1', '001#2', '002#2']);
        assert.deepEqual(got[2], await s.getOrder('002', 2));
        assert.deepEqual(await s.getOrdersOf([]), []);
      });
    });

    void test('ackOrders: queued ones become delivered at `at` (once each), any other state is kept', async () => {
      await withStore(make, async (s) => {
        await s.enqueueOrders([
          newOrder({ createdAt: 10 }),
          newOrder({ createdAt: 11 }),
          newOrder({ createdAt: 12 }),
          newOrder({ agentId: '002', createdAt: 13 }),
          newOrder({ createdAt: 14 }),
        ]);
        await s.updateOrders([
          {
            agentId: '001',
            seq: 2,
            update: { state: 'executed', deliveredAt: 5, executedAt: 6, outcome: 'ok' },
          },
          { agentId: '001', seq: 3, update: { state: 'expired', expiredAt: 7 } },
        ]);
        const before = await s.getOrder('001', 2);
        const moved = await s.ackOrders(
          [
            { agentId: '002', seq: 1 },
            { agentId: '001', seq: 1 },
            { agentId: '001', seq: 2 },
            { agentId: '001', seq: 3 },
            { agentId: '001', seq: 1 },
            { agentId: '001', seq: 9 },
            { agentId: '004', seq: 1 },
          ],
          100,
        );
        assert.deepEqual(moved.map((o) => `${o.agentId}#${o.seq}@${o.createdAt}`).sort(), [
          '001#1@10',
          '002#1@13',
        ]);
        const one = await s.getOrder('001', 1);
        assert.deepEqual(
          [one?.state, one?.deliveredAt, one?.payload],
          ['delivered', 100, '{"command":"add"}'],
        );
        assert.equal((await s.getOrder('002', 1))?.state, 'delivered');
        assert.deepEqual(await s.getOrder('001', 2), before, 'executed: unchanged');
        assert.deepEqual(
          [(await s.getOrder('001', 3))?.state, (await s.getOrder('001', 3))?.deliveredAt],
          ['expired', undefined],
        );
        assert.equal((await s.getOrder('001', 4))?.state, 'queued', 'not acked: still queued');
        assert.deepEqual(
          await s.ackOrders([{ agentId: '001', seq: 1 }], 200),
          [],
          'a second ack moves nothing',
        );
        assert.equal((await s.getOrder('001', 1))?.deliveredAt, 100);
        assert.deepEqual(await s.ackOrders([], 1), []);
      });
    });

    void test('expireOrders: only the ones still queued expire (an ack that came first wins), each once', async () => {
      await withStore(make, async (s) => {
        await s.enqueueOrders([
          newOrder({ createdAt: 10 }),
          newOrder({ createdAt: 11 }),
          newOrder({ agentId: '002', createdAt: 12 }),
        ]);
        // Another node applied the ack of 001#2 after the expiry's read, before its write.
        await s.ackOrders([{ agentId: '001', seq: 2 }], 50);
        const moved = await s.expireOrders(
          [
            { agentId: '001', seq: 1 },
            { agentId: '001', seq: 2 },
            { agentId: '002', seq: 1 },
            { agentId: '001', seq: 1 },
            { agentId: '003', seq: 1 },
          ],
          100,
        );
        assert.deepEqual(moved.map((k) => `${k.agentId}#${k.seq}`).sort(), ['001#1', '002#1']);
        const one = await s.getOrder('001', 1);
        assert.deepEqual([one?.state, one?.expiredAt], ['expired', 100]);
        const two = await s.getOrder('001', 2);
        assert.deepEqual([two?.state, two?.deliveredAt, two?.expiredAt], ['delivered', 50, undefined]);
        assert.deepEqual(keysOf(await s.queuedOrdersOf(['001', '002'])), [], 'none left in the queue');
        assert.deepEqual(await s.expireOrders([{ agentId: '001', seq: 1 }], 200), [], 'once');
        assert.deepEqual(await s.expireOrders([], 1), []);
      });
    });

    void test('queuedOrdersOf: each agent as queuedOrders, by agent then seq; createdBefore keeps older ones', async () => {
      await withStore(make, async (s) => {
        await s.enqueueOrders([
          newOrder({ agentId: '002', createdAt: 1 }),
          newOrder({ createdAt: 1 }),
          newOrder({ createdAt: 50 }),
          newOrder({ agentId: '002', createdAt: 60 }),
          newOrder({ agentId: '003', createdAt: 1 }),
          newOrder({ createdAt: 2 }),
        ]);
        await s.updateOrder('001', 1, { state: 'delivered', deliveredAt: 3 });
        const all = await s.queuedOrdersOf(['002', '001', '002', '004']);
        assert.deepEqual(keysOf(all), ['001#2', '001#3', '002#1', '002#2']);
        assert.deepEqual(all, [...(await s.queuedOrders('001')), ...(await s.queuedOrders('002'))]);
        assert.deepEqual(keysOf(await s.queuedOrdersOf(['001', '002', '003'], 50)), [
          '001#3',
          '002#1',
          '003#1',
        ]);
        assert.deepEqual(seqs(await s.queuedOrdersOf([])), []);
      });
    });

    void test('getAgentsByFingerprints: the agent of each fingerprint, removed or not, in the given order', async () => {
      await withStore(make, async (s) => {
        await addAgent(s, 'one', 'AA');
        await addAgent(s, 'two', 'BB');
        await s.markAgentRemoved('002', 7);
        const fps = ['BB', 'ZZ', 'AA', 'BB'];
        const got = await s.getAgentsByFingerprints(fps);
        assert.deepEqual(
          got.map((a) => [a?.id, a?.removedAt]),
          [
            ['002', 7],
            [undefined, undefined],
            ['001', undefined],
            ['002', 7],
          ],
        );
        assert.deepEqual(got, [
          await s.getAgent('002'),
          undefined,
          await s.getAgent('001'),
          await s.getAgent('002'),
        ]);
        assert.deepEqual(await s.getAgentsByFingerprints([]), []);
      });
    });

    void test('lastOrderSeqs: the highest seq stored for each agent, settled or not, 0 for none', async () => {
      await withStore(make, async (s) => {
        await s.enqueueOrders([newOrder(), newOrder({ agentId: '002' }), newOrder(), newOrder()]);
        await s.updateOrder('001', 3, { state: 'delivered', deliveredAt: 3 });
        assert.deepEqual(await s.lastOrderSeqs(['002', '003', '001', '002']), [1, 0, 3, 1]);
        assert.deepEqual(await s.lastOrderSeqs([]), []);
      });
    });

    void test('lastExecutionIds: lastExecutionId of each agent, in the given order, 0 for none', async () => {
      await withStore(make, async (s) => {
        await s.recordExecutions([execution('001', 4), execution('002', 9), execution('001', 7)]);
        assert.deepEqual(await s.lastExecutionIds(['002', '003', '001', '002']), [9, 0, 7, 9]);
        assert.deepEqual(await s.lastExecutionIds([]), []);
      });
    });

    void test('activeKeysOf: the keys listActive of each agent lists, by agent then key', async () => {
      await withStore(make, async (s) => {
        await s.replaceActive('002', [activeFor('002', 'k2'), activeFor('002', 'a1')], 5);
        await s.replaceActive('001', [activeFor('001', 'z')], 5);
        await s.replaceActive('003', [activeFor('003', 'k3')], 5);
        assert.deepEqual(await s.activeKeysOf(['002', '004', '001']), [
          { agentId: '001', key: 'z' },
          { agentId: '002', key: 'a1' },
          { agentId: '002', key: 'k2' },
        ]);
        assert.deepEqual(await s.activeKeysOf([]), []);
      });
    });
  });
}
