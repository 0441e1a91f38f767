/**
 * The ManagerStore contract's `batch` part (manager-store.contract.ts registers it): one
 * transaction for an async function, joined by nested batches and by calls from its async context,
 * isolated from calls made elsewhere, and seqs that stay distinct under concurrency.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { activeFor, newOrder, seqs, withStore, type MakeManagerStore } from './manager-store.fixtures.js';

/** A promise and the function that resolves it. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export function batchContract(make: MakeManagerStore): void {
  void describe('batch', () => {
    void test('returns what fn returns, with every write committed', async () => {
      await withStore(make, async (s) => {
        const n = await s.batch(async (tx) => {
          await tx.enqueueOrder(newOrder());
          await tx.enqueueOrder(newOrder());
          await tx.setSetting('pos', 'p1');
          return 2;
        });
        assert.equal(n, 2);
        assert.equal((await s.queuedOrders('001')).length, 2);
        assert.equal(await s.getSetting('pos'), 'p1');
      });
    });

    void test('a rejection rolls back every write of the batch and is rethrown', async () => {
      await withStore(make, async (s) => {
        await s.enqueueOrder(newOrder());
        await s.setSetting('pos', 'p1');
        await assert.rejects(
          s.batch(async (tx) => {
            await tx.enqueueOrder(newOrder());
            await tx.putActive(activeFor('001', 'k1'), 1);
            await tx.setSetting('pos', 'p2');
            throw new Error('boom');
          }),
          /boom/,
        );
        assert.deepEqual(seqs(await s.queuedOrders('001')), [1]);
        assert.equal(await s.countActive(), 0);
        assert.equal(await s.getSetting('pos'), 'p1', 'the position is rolled back with the orders');
        assert.equal((await s.enqueueOrder(newOrder())).seq, 2, 'the rolled-back seq is assigned again');
      });
    });

    void test('calls on the store itself from inside fn, and nested batches, join the transaction', async () => {
      await withStore(make, async (s) => {
        await assert.rejects(
          s.batch(async () => {
            await s.enqueueOrder(newOrder());
            await s.batch(async (inner) => {
              await inner.putActive(activeFor('001', 'k1'), 1);
            });
            assert.equal((await s.queuedOrders('001')).length, 1, "reads see the batch's own writes");
            throw new Error('boom');
          }),
          /boom/,
        );
        assert.deepEqual(await s.queuedOrders('001'), []);
        assert.equal(await s.countActive(), 0);
      });
    });

    void test('a batch neither commits nor rolls back the writes of calls made outside it', async () => {
      await withStore(make, async (s) => {
        const inside = deferred();
        const release = deferred();
        const batch = s.batch(async (tx) => {
          await tx.enqueueOrder(newOrder());
          inside.resolve();
          await release.promise;
          throw new Error('boom');
        });
        await inside.promise;
        const outside = s.enqueueOrder(newOrder({ agentId: '002', payload: 'outside' }));
        release.resolve();
        await assert.rejects(batch, /boom/);
        assert.equal((await outside).seq, 1);
        assert.deepEqual(await s.queuedOrders('001'), []);
        assert.deepEqual(
          (await s.queuedOrders('002')).map((o) => o.payload),
          ['outside'],
        );
      });
    });

    void test('concurrent batches and calls get distinct seqs, 1..n, for the same agent', async () => {
      await withStore(make, async (s) => {
        const work: Promise<unknown>[] = [];
        for (let i = 0; i < 4; i++) {
          work.push(
            s.batch(async (tx) => {
              await tx.enqueueOrder(newOrder());
              await tx.enqueueOrder(newOrder());
            }),
          );
          work.push(s.enqueueOrder(newOrder()));
        }
        await Promise.all(work);
        assert.deepEqual(seqs(await s.queuedOrders('001')), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      });
    });
  });
}
