/**
 * The ManagerStore bulk methods (enqueueOrders, getOrders, updateOrders, recordExecutions,
 * putActives): each
 * stores and answers exactly what the one-at-a-time method called in the same order would, in one
 * transaction. Part of managerStoreContract (run on SQLite and PostgreSQL).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  activeFor,
  execution,
  newOrder,
  seqs,
  withStore,
  type MakeManagerStore,
} from './manager-store.fixtures.js';

export function bulkContract(make: MakeManagerStore): void {
  void describe('bulk methods', () => {
    void test('enqueueOrders: next seqs per agent in the given order, as enqueueOrder would store them', async () => {
      await withStore(make, async (s) => {
        await s.enqueueOrder(newOrder({ payload: 'm0' }));
        const out = await s.enqueueOrders([
          newOrder({ payload: 'm1', key: 'k1' }),
          newOrder({ agentId: '002', payload: 'x1', kind: 'revert', arName: undefined }),
          newOrder({ payload: 'm2 "quoted" \\ {"a":[1,null]}', alertId: undefined }),
          newOrder({ agentId: '002', payload: 'x2', createdAt: 7, expiresAt: 70 }),
        ]);
        assert.deepEqual(
          out.map((o) => [o.agentId, o.seq, o.payload, o.state]),
          [
            ['001', 2, 'm1', 'queued'],
            ['002', 1, 'x1', 'queued'],
            ['001', 3, 'm2 "quoted" \\ {"a":[1,null]}', 'queued'],
            ['002', 2, 'x2', 'queued'],
          ],
        );
        for (const o of out) {
          assert.deepEqual(await s.getOrder(o.agentId, o.seq), o);
        }
        assert.deepEqual(out[1]?.arName, undefined);
        assert.deepEqual(out[1]?.kind, 'revert');
        assert.deepEqual(out[0]?.key, 'k1');
        assert.deepEqual([out[3]?.createdAt, out[3]?.expiresAt], [7, 70]);
        assert.equal((await s.enqueueOrder(newOrder())).seq, 4);
        assert.deepEqual(await s.enqueueOrders([]), []);
      });
    });

    void test('enqueueOrders: 300 orders of 40 agents interleaved, any text kept as given', async () => {
      await withStore(make, async (s) => {
        await s.enqueueOrders([newOrder({ agentId: '007' }), newOrder({ agentId: '030' })]);
        const text = (i: number): string => `{"i":${i},"q":"\\"x\\"","t":"tab\tnl\n é 𝄞 \\\\ '}`;
        const batch = Array.from({ length: 300 }, (_, i) =>
          newOrder({
            agentId: String(1 + ((i * 7) % 40)).padStart(3, '0'),
            payload: text(i),
            alertId: `a"${i}\\`,
            key: i % 3 === 0 ? undefined : `k,${i}{}`,
          }),
        );
        const out = await s.enqueueOrders(batch);
        const next = new Map([
          ['007', 2],
          ['030', 2],
        ]);
        out.forEach((o, i) => {
          const want = batch[i];
          assert.equal(o.agentId, want?.agentId);
          assert.equal(o.seq, next.get(o.agentId) ?? 1, `order ${i}: next seq of its agent`);
          next.set(o.agentId, o.seq + 1);
          assert.deepEqual([o.payload, o.alertId, o.key], [want?.payload, want?.alertId, want?.key]);
        });
        for (const o of out.filter((_, i) => i % 37 === 0)) {
          assert.deepEqual(await s.getOrder(o.agentId, o.seq), o);
        }
      });
    });

    void test('enqueueOrders in a rolled-back batch stores nothing and gives its seqs back', async () => {
      await withStore(make, async (s) => {
        await assert.rejects(
          s.batch(async (tx) => {
            await tx.enqueueOrders([newOrder(), newOrder()]);
            throw new Error('boom');
          }),
          /boom/,
        );
        assert.deepEqual(seqs(await s.queuedOrders('001')), []);
        assert.deepEqual(seqs(await s.enqueueOrders([newOrder()])), [1]);
      });
    });

    void test('getOrders: the existing ones among the seqs, of that agent only, in seq order, once each', async () => {
      await withStore(make, async (s) => {
        await s.enqueueOrders([newOrder(), newOrder(), newOrder(), newOrder({ agentId: '002' })]);
        assert.deepEqual(seqs(await s.getOrders('001', [3, 1, 9, 3])), [1, 3]);
        assert.deepEqual(seqs(await s.getOrders('002', [1, 2])), [1]);
        assert.deepEqual(await s.getOrders('001', []), []);
        assert.deepEqual((await s.getOrders('001', [2]))[0], await s.getOrder('001', 2));
      });
    });

    void test('updateOrders: as updateOrder in order (given fields written, others kept, later wins)', async () => {
      await withStore(make, async (s) => {
        await s.enqueueOrders([newOrder(), newOrder(), newOrder({ agentId: '002' })]);
        await s.updateOrder('001', 2, { state: 'delivered', deliveredAt: 4, note: 'kept' });
        await s.updateOrders([
          { agentId: '001', seq: 1, update: { state: 'delivered', deliveredAt: 5 } },
          { agentId: '001', seq: 2, update: { state: 'executed', executedAt: 6, outcome: 'ok', key: 'k2' } },
          {
            agentId: '001',
            seq: 1,
            update: { state: 'executed', executedAt: 7, outcome: 'failed', executionId: 11 },
          },
          { agentId: '001', seq: 9, update: { state: 'delivered', deliveredAt: 1 } },
        ]);
        const [one, two] = await s.getOrders('001', [1, 2]);
        assert.ok(one !== undefined && two !== undefined);
        assert.deepEqual(
          [one.state, one.deliveredAt, one.executedAt, one.outcome, one.executionId, one.key],
          ['executed', 5, 7, 'failed', 11, undefined],
        );
        assert.deepEqual(
          [two.state, two.deliveredAt, two.executedAt, two.outcome, two.key, two.note],
          ['executed', 4, 6, 'ok', 'k2', 'kept'],
        );
        assert.equal((await s.getOrder('002', 1))?.state, 'queued');
        assert.equal(await s.getOrder('001', 9), undefined);
        await s.updateOrders([]);
      });
    });

    void test('recordExecutions: each (agent, id) once; true where new, in the given order', async () => {
      await withStore(make, async (s) => {
        assert.equal(await s.recordExecution(execution('001', 1)), true);
        const flags = await s.recordExecutions([
          execution('001', 1),
          execution('001', 2, { orderSeq: 5, note: 'n "q"' }),
          execution('002', 1),
          execution('001', 2),
          execution('001', 3, { status: 'failed', stderrTail: 'x\ny' }),
        ]);
        assert.deepEqual(flags, [false, true, true, false, true]);
        const listed = await s.listExecutions({ agentId: '001', limit: 10 });
        assert.deepEqual(
          listed.map((e) => e.id),
          [3, 2, 1],
        );
        assert.deepEqual(
          listed.find((e) => e.id === 2),
          execution('001', 2, { orderSeq: 5, note: 'n "q"' }),
        );
        assert.equal(await s.lastExecutionId('002'), 1);
        assert.deepEqual(await s.recordExecutions([]), []);
      });
    });

    void test('putActives: as putActive of each in order (a later one of a key replaces the earlier)', async () => {
      await withStore(make, async (s) => {
        await s.putActive(activeFor('001', 'k0'), 1);
        await s.putActive(activeFor('003', 'k9'), 1);
        await s.putActives(
          [
            activeFor('002', 'k1'),
            activeFor('001', 'k1', { addMessage: '{"command":"add","q":"\\"x\\" é"}' }),
            activeFor('001', 'k0', { repeatCount: 3 }),
            activeFor('001', 'k1', { repeatCount: 2 }),
          ],
          5,
        );
        const listed = await s.listActive();
        assert.deepEqual(
          listed.map((a) => `${a.agentId}/${a.key}/${a.repeatCount}/${a.reportedAt}`),
          ['001/k0/3/5', '001/k1/2/5', '002/k1/1/5', '003/k9/1/1'],
        );
        assert.deepEqual(listed[1], { ...activeFor('001', 'k1', { repeatCount: 2 }), reportedAt: 5 });
        await s.putActives([], 9);
        assert.equal(await s.countActive(), 4);
      });
    });
  });
}
