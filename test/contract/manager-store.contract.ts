/**
 * The ManagerStore conformance suite (core/orders/manager-store.ts), like the AgentStore one: every
 * implementation must pass it unchanged. Run it from a `*.test.ts` file with a factory that returns
 * a fresh, empty store. It states what callers rely on: id and seq assignment, single-use tokens,
 * which orders each query returns and in which order, idempotent execution reports, the active
 * list per agent, and that `batch` is one transaction.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { batchContract } from './manager-store-batch.contract.js';
import { bulkContract } from './manager-store-bulk.contract.js';
import { linkContract } from './manager-store-link.contract.js';
import {
  activeFor,
  addAgent,
  execution,
  newOrder,
  seqs,
  withStore,
  type MakeManagerStore,
} from './manager-store.fixtures.js';

export type { MakeManagerStore } from './manager-store.fixtures.js';

function agentContract(make: MakeManagerStore): void {
  void describe('agents', () => {
    void test('ids are 001, 002, ... and a removed id is never reused', async () => {
      await withStore(make, async (s) => {
        assert.equal(await addAgent(s, 'one', 'AA'), '001');
        assert.equal(await addAgent(s, 'two', 'BB'), '002');
        await s.markAgentRemoved('001', 50);
        assert.equal(await addAgent(s, 'three', 'CC'), '003');
      });
    });

    void test('get by id and by fingerprint; unknown ones are undefined; list in id order', async () => {
      await withStore(make, async (s) => {
        await addAgent(s, 'one', 'AA', 7);
        await addAgent(s, 'two', 'BB');
        assert.deepEqual(await s.getAgent('001'), {
          id: '001',
          name: 'one',
          fingerprint: 'AA',
          registeredAt: 7,
          removedAt: undefined,
          lastSeen: undefined,
          version: undefined,
          address: undefined,
          arDisabled: false,
        });
        assert.deepEqual(
          (await s.getAgentsByFingerprints(['BB', 'ZZ'])).map((a) => a?.id),
          ['002', undefined],
        );
        assert.equal(await s.getAgent('009'), undefined);
        assert.deepEqual(
          (await s.listAgents()).map((a) => a.id),
          ['001', '002'],
        );
      });
    });

    void test('removal is a mark that keeps the record; the first mark wins', async () => {
      await withStore(make, async (s) => {
        await addAgent(s, 'one', 'AA');
        await s.markAgentRemoved('001', 50);
        await s.markAgentRemoved('001', 60);
        assert.equal((await s.getAgent('001'))?.removedAt, 50);
        assert.equal((await s.listAgents()).length, 1);
      });
    });

    void test('agentPresence: non-removed agents in id order, with lastSeen; what listAgents says', async () => {
      await withStore(make, async (s) => {
        assert.deepEqual(await s.agentPresence(), []);
        await addAgent(s, 'one', 'AA');
        await addAgent(s, 'two', 'BB');
        await addAgent(s, 'three', 'CC');
        await s.updateAgentSeen('003', { lastSeen: 1_800_000_000_123 });
        await s.markAgentRemoved('002', 50);
        const present = await s.agentPresence();
        assert.deepEqual(present, [
          { id: '001', lastSeen: undefined },
          { id: '003', lastSeen: 1_800_000_000_123 },
        ]);
        assert.deepEqual(
          present,
          (await s.listAgents())
            .filter((a) => a.removedAt === undefined)
            .map((a) => ({ id: a.id, lastSeen: a.lastSeen })),
        );
      });
    });

    void test('updateAgentSeen writes lastSeen and keeps the fields it is not given', async () => {
      await withStore(make, async (s) => {
        await addAgent(s, 'one', 'AA');
        await s.updateAgentSeen('001', {
          lastSeen: 9,
          version: '0.1.0',
          address: '192.0.2.9',
          arDisabled: true,
        });
        await s.updateAgentSeen('001', { lastSeen: 12 });
        const a = await s.getAgent('001');
        assert.deepEqual(
          [a?.lastSeen, a?.version, a?.address, a?.arDisabled],
          [12, '0.1.0', '192.0.2.9', true],
        );
      });
    });
  });
}

function tokenContract(make: MakeManagerStore): void {
  void describe('enrollment tokens', () => {
    void test('single use, bound to a name, valid until expiresAt, unknown hashes refused', async () => {
      await withStore(make, async (s) => {
        await s.addEnrollToken('h1', 'web', 0, 100);
        assert.deepEqual(await s.useEnrollToken('h1', 'db', 10), { ok: false, reason: 'wrong-name' });
        assert.deepEqual(await s.useEnrollToken('h1', 'web', 10), { ok: true, name: 'web' });
        assert.deepEqual(await s.useEnrollToken('h1', 'web', 11), { ok: false, reason: 'used' });
        await s.addEnrollToken('h2', 'web', 0, 100);
        assert.deepEqual(await s.useEnrollToken('h2', 'web', 101), { ok: false, reason: 'expired' });
        assert.deepEqual(await s.useEnrollToken('nope', 'web', 1), { ok: false, reason: 'unknown' });
      });
    });

    void test('a refusal for the wrong name does not burn the token', async () => {
      await withStore(make, async (s) => {
        await s.addEnrollToken('h1', 'web', 0, 100);
        await s.useEnrollToken('h1', 'db', 10);
        assert.deepEqual(await s.useEnrollToken('h1', 'web', 11), { ok: true, name: 'web' });
      });
    });

    void test('checking a token answers like using it but does not consume it', async () => {
      await withStore(make, async (s) => {
        await s.addEnrollToken('h1', 'web', 0, 100);
        assert.deepEqual(await s.checkEnrollToken('h1', 'db', 10), { ok: false, reason: 'wrong-name' });
        assert.deepEqual(await s.checkEnrollToken('h1', 'web', 10), { ok: true, name: 'web' });
        assert.deepEqual(await s.checkEnrollToken('h1', 'web', 11), { ok: true, name: 'web' });
        assert.deepEqual(await s.checkEnrollToken('h1', 'web', 101), { ok: false, reason: 'expired' });
        assert.deepEqual(await s.checkEnrollToken('nope', 'web', 1), { ok: false, reason: 'unknown' });
        assert.deepEqual(await s.useEnrollToken('h1', 'web', 12), { ok: true, name: 'web' });
        assert.deepEqual(await s.checkEnrollToken('h1', 'web', 13), { ok: false, reason: 'used' });
      });
    });
  });
}

function orderContract(make: MakeManagerStore): void {
  void describe('orders', () => {
    void test('seq is per agent, from 1; the stored order carries what was given, state queued', async () => {
      await withStore(make, async (s) => {
        const first = await s.enqueueOrder(newOrder({ payload: 'm1' }));
        assert.equal((await s.enqueueOrder(newOrder({ payload: 'm2' }))).seq, 2);
        assert.equal((await s.enqueueOrder(newOrder({ agentId: '002' }))).seq, 1);
        assert.deepEqual(first, {
          agentId: '001',
          seq: 1,
          kind: 'add',
          source: 'alert',
          arName: 'mark600',
          key: undefined,
          alertId: 'a1',
          state: 'queued',
          createdAt: 1,
          expiresAt: 10_000,
          deliveredAt: undefined,
          executedAt: undefined,
          revertedAt: undefined,
          expiredAt: undefined,
          outcome: undefined,
          executionId: undefined,
          note: undefined,
          payload: 'm1',
        });
        assert.deepEqual(await s.getOrder('001', 1), first);
        assert.equal(await s.getOrder('001', 3), undefined);
      });
    });

    void test('queuedOrders: only queued ones of that agent, in seq order', async () => {
      await withStore(make, async (s) => {
        for (const p of ['m1', 'm2', 'm3']) {
          await s.enqueueOrder(newOrder({ payload: p }));
        }
        await s.enqueueOrder(newOrder({ agentId: '002' }));
        await s.updateOrder('001', 2, { state: 'delivered', deliveredAt: 5 });
        assert.deepEqual(
          (await s.queuedOrders('001')).map((o) => o.payload),
          ['m1', 'm3'],
        );
      });
    });

    void test('updateOrder writes the given fields and keeps the others', async () => {
      await withStore(make, async (s) => {
        await s.enqueueOrder(newOrder());
        await s.updateOrder('001', 1, { state: 'delivered', deliveredAt: 5 });
        await s.updateOrder('001', 1, {
          state: 'executed',
          executedAt: 6,
          outcome: 'ok',
          executionId: 3,
          key: 'k',
        });
        await s.updateOrder('001', 1, { state: 'reverted', revertedAt: 9 });
        const o = await s.getOrder('001', 1);
        assert.deepEqual(
          [o?.state, o?.deliveredAt, o?.executedAt, o?.revertedAt, o?.outcome, o?.executionId, o?.key],
          ['reverted', 5, 6, 9, 'ok', 3, 'k'],
        );
        await s.enqueueOrder(newOrder());
        await s.updateOrder('001', 2, { state: 'expired', expiredAt: 20, note: 'agent gone' });
        assert.deepEqual(
          [(await s.getOrder('001', 2))?.expiredAt, (await s.getOrder('001', 2))?.note],
          [20, 'agent gone'],
        );
      });
    });

    void test('expirableOrders: queued orders with expiresAt < now, earliest deadline first', async () => {
      await withStore(make, async (s) => {
        await s.enqueueOrder(newOrder({ expiresAt: 300 }));
        await s.enqueueOrder(newOrder({ expiresAt: 100 }));
        await s.enqueueOrder(newOrder({ expiresAt: 200 }));
        await s.enqueueOrder(newOrder({ agentId: '002', expiresAt: 150 }));
        await s.enqueueOrder(newOrder({ expiresAt: 250 })); // delivered: never expires
        await s.updateOrder('001', 4, { state: 'delivered', deliveredAt: 1 });
        assert.deepEqual(
          (await s.expirableOrders(300)).map((o) => [o.agentId, o.seq]),
          [
            ['001', 2],
            ['002', 1],
            ['001', 3],
          ],
        );
        assert.deepEqual(await s.expirableOrders(100), [], 'expiresAt == now is not expired yet');
      });
    });

    void test('executed add orders by key: only executed adds of that agent with a key, in seq order', async () => {
      await withStore(make, async (s) => {
        for (let i = 0; i < 4; i++) {
          await s.enqueueOrder(newOrder());
        }
        await s.enqueueOrder(newOrder({ kind: 'revert', key: 'k1', payload: 'k1' }));
        await s.enqueueOrder(newOrder({ agentId: '002' }));
        const exec = async (agentId: string, seq: number, key: string): Promise<void> => {
          await s.updateOrder(agentId, seq, { state: 'executed', executedAt: 2, outcome: 'ok', key });
        };
        await exec('001', 3, 'k1');
        await exec('001', 1, 'k1');
        await exec('001', 2, 'k2');
        await exec('001', 5, 'k1'); // a revert order
        await exec('002', 1, 'k1'); // another agent
        assert.deepEqual(seqs(await s.executedOrdersWithKey('001', 'k1')), [1, 3]);
        assert.deepEqual(seqs(await s.executedKeyedOrders('001')), [1, 2, 3]);
        assert.deepEqual(await s.executedOrdersWithKey('001', 'absent'), []);
      });
    });

    void test('listOrders: most recent first, filtered by agent and state, limited, without payloads', async () => {
      await withStore(make, async (s) => {
        await s.enqueueOrder(newOrder({ createdAt: 10 }));
        await s.enqueueOrder(newOrder({ createdAt: 30 }));
        await s.enqueueOrder(newOrder({ agentId: '002', createdAt: 20 }));
        await s.updateOrder('001', 1, { state: 'delivered', deliveredAt: 11 });
        const all = await s.listOrders({});
        assert.deepEqual(
          all.map((o) => [o.agentId, o.seq]),
          [
            ['001', 2],
            ['002', 1],
            ['001', 1],
          ],
        );
        assert.ok(
          all.every((o) => !('payload' in o)),
          'listings do not carry payloads',
        );
        assert.deepEqual(
          (await s.listOrders({ agentId: '001', state: 'queued' })).map((o) => o.seq),
          [2],
        );
        assert.equal((await s.listOrders({ limit: 2 })).length, 2);
      });
    });

    void test('listOrders returns at most 100 without a limit', async () => {
      await withStore(make, async (s) => {
        await s.batch(async (tx) => {
          for (let i = 0; i < 105; i++) {
            await tx.enqueueOrder(newOrder({ createdAt: i }));
          }
        });
        assert.equal((await s.listOrders({})).length, 100);
      });
    });

    void test('countOrdersByState counts every state, zero included', async () => {
      await withStore(make, async (s) => {
        await s.enqueueOrder(newOrder());
        await s.enqueueOrder(newOrder());
        await s.updateOrder('001', 1, { state: 'executed', executedAt: 2 });
        assert.deepEqual(await s.countOrdersByState(), {
          queued: 1,
          delivered: 0,
          executed: 1,
          reverted: 0,
          expired: 0,
        });
      });
    });

    void test('pruneHistory deletes old settled orders and reports, oldest first, at most limit each; keeps what is still needed', async () => {
      await withStore(make, async (s) => {
        // Agent 001: seqs 1-7 created at 1-7, then seq 8 (created at 100, newer than the cutoff).
        for (let t = 1; t <= 7; t++) {
          await s.enqueueOrder(newOrder({ createdAt: t }));
        }
        await s.enqueueOrder(newOrder({ createdAt: 100 }));
        await s.updateOrder('001', 1, { state: 'expired', expiredAt: 9 }); // pruned
        await s.updateOrder('001', 2, { state: 'executed', executedAt: 9 }); // stateless: pruned
        await s.updateOrder('001', 3, { state: 'executed', executedAt: 9, key: 'k3' }); // active: kept
        await s.putActive(activeFor('001', 'k3'), 9);
        await s.updateOrder('001', 4, { state: 'reverted', key: 'k4', revertedAt: 9 }); // pruned
        // 5 stays queued (kept); 6 executed with a key no longer active, 7 delivered and never
        // reported (both pruned).
        await s.updateOrder('001', 6, { state: 'executed', executedAt: 9, key: 'k6' });
        await s.updateOrder('001', 7, { state: 'delivered', deliveredAt: 9 });
        // Agent 002: its only order is old and settled, but it is its highest seq: kept.
        await s.enqueueOrder(newOrder({ agentId: '002', createdAt: 1 }));
        await s.updateOrder('002', 1, { state: 'expired', expiredAt: 9 });
        // Agent 003: an executed revert order (pruned: only add orders can still be active).
        const revert = await s.enqueueOrder(newOrder({ agentId: '003', kind: 'revert', createdAt: 3 }));
        await s.updateOrder('003', revert.seq, { state: 'executed', executedAt: 9, key: 'k' });
        await s.enqueueOrder(newOrder({ agentId: '003', createdAt: 4 }));
        // Reports: agent 001 ids 1-4 received at 1-4, agent 002 id 1 (its last: kept).
        for (let id = 1; id <= 4; id++) {
          await s.recordExecution(execution('001', id, { receivedAt: id }));
        }
        await s.recordExecution(execution('002', 1, { receivedAt: 1 }));

        // At most 2 of each per call, oldest first.
        assert.deepEqual(await s.pruneHistory(50, 2), { orders: 2, executions: 2 });
        assert.equal(await s.getOrder('001', 1), undefined);
        assert.equal(await s.getOrder('001', 2), undefined);
        assert.ok(await s.getOrder('003', revert.seq), 'created at 3, after the two pruned');
        assert.deepEqual(
          (await s.listExecutions({ agentId: '001', limit: 10 })).map((e) => e.id),
          [4, 3],
        );
        assert.deepEqual(await s.pruneHistory(50, 100), { orders: 4, executions: 1 });
        assert.deepEqual(await s.pruneHistory(50, 100), { orders: 0, executions: 0 });
        const left = async (agentId: string): Promise<number[]> =>
          (await s.listOrders({ agentId, limit: 100 })).map((o) => o.seq).sort((x, y) => x - y);
        assert.deepEqual(await left('001'), [3, 5, 8]);
        assert.deepEqual(await left('002'), [1]);
        assert.deepEqual(await left('003'), [2]);
        assert.deepEqual(
          (await s.listExecutions({ agentId: '001', limit: 10 })).map((e) => e.id),
          [4],
        );
        assert.equal(await s.lastExecutionId('002'), 1);
        // What was kept keeps counting: the next seqs and the report cursors are unchanged.
        assert.deepEqual(await s.lastOrderSeqs(['001', '002', '003']), [8, 1, 2]);
        assert.equal((await s.enqueueOrder(newOrder({ agentId: '002' }))).seq, 2);
        assert.equal(await s.recordExecution(execution('001', 2, { receivedAt: 60 })), true);
        assert.equal(await s.lastExecutionId('001'), 4);
      });
    });
  });
}

function reportContract(make: MakeManagerStore): void {
  void describe('executions and active responses reported by agents', () => {
    void test('an execution is recorded once per (agent, id) and read back unchanged', async () => {
      await withStore(make, async (s) => {
        const rec = execution('001', 4, { orderSeq: 1, stderrTail: 'warn\n', note: 'n' });
        assert.equal(await s.recordExecution(rec), true);
        assert.equal(await s.recordExecution({ ...rec, status: 'failed' }), false, 'a re-sent report');
        assert.equal(await s.recordExecution({ ...rec, agentId: '002' }), true);
        assert.deepEqual(await s.listExecutions({ agentId: '001', limit: 10 }), [rec]);
      });
    });

    void test('lastExecutionId is per agent, 0 when none', async () => {
      await withStore(make, async (s) => {
        assert.equal(await s.lastExecutionId('001'), 0);
        await s.recordExecution(execution('001', 7));
        await s.recordExecution(execution('001', 3));
        await s.recordExecution(execution('002', 9));
        assert.equal(await s.lastExecutionId('001'), 7);
      });
    });

    void test('listExecutions: most recently received first, by agent, limited', async () => {
      await withStore(make, async (s) => {
        await s.recordExecution(execution('001', 1));
        await s.recordExecution(execution('002', 1));
        await s.recordExecution(execution('001', 2));
        assert.deepEqual(
          (await s.listExecutions({ limit: 10 })).map((e) => `${e.agentId}/${e.id}`),
          ['001/2', '002/1', '001/1'],
        );
        assert.deepEqual(
          (await s.listExecutions({ agentId: '001', limit: 1 })).map((e) => e.id),
          [2],
        );
      });
    });

    void test('putActive replaces the same (agent, key); lists are by agent, then key', async () => {
      await withStore(make, async (s) => {
        await s.putActive(activeFor('002', 'k1'), 1);
        await s.putActive(activeFor('001', 'k2'), 1);
        await s.putActive(activeFor('001', 'k1'), 1);
        await s.putActive(activeFor('001', 'k1', { repeatCount: 2 }), 5);
        assert.deepEqual(
          (await s.listActive()).map((a) => `${a.agentId}/${a.key}`),
          ['001/k1', '001/k2', '002/k1'],
        );
        assert.deepEqual((await s.listActive('001'))[0], {
          ...activeFor('001', 'k1', { repeatCount: 2 }),
          reportedAt: 5,
        });
        assert.equal(await s.countActive(), 3);
      });
    });

    void test('replaceActive swaps one agent whole list; removeActive removes one key of one agent', async () => {
      await withStore(make, async (s) => {
        await s.putActive(activeFor('001', 'k1'), 1);
        await s.putActive(activeFor('001', 'k2'), 1);
        await s.putActive(activeFor('002', 'k1'), 1);
        await s.replaceActive('001', [activeFor('001', 'k3')], 2);
        assert.deepEqual(
          (await s.listActive('001')).map((a) => [a.key, a.reportedAt]),
          [['k3', 2]],
        );
        await s.removeActive('002', 'k1');
        await s.removeActive('002', 'absent');
        assert.deepEqual(
          (await s.listActive()).map((a) => `${a.agentId}/${a.key}`),
          ['001/k3'],
        );
        await s.replaceActive('001', [], 3);
        assert.equal(await s.countActive(), 0);
      });
    });
  });
}

function settingContract(make: MakeManagerStore): void {
  void describe('settings', () => {
    void test('undefined until set; set replaces', async () => {
      await withStore(make, async (s) => {
        assert.equal(await s.getSetting('k'), undefined);
        await s.setSetting('k', 'v1');
        await s.setSetting('k', 'v2');
        await s.setSetting('other', 'x');
        assert.equal(await s.getSetting('k'), 'v2');
      });
    });

    void test('take removes and returns; a second take and a get find nothing; others stay', async () => {
      await withStore(make, async (s) => {
        await s.setSetting('k', 'v1');
        await s.setSetting('other', 'x');
        assert.equal(await s.takeSetting('k'), 'v1');
        assert.equal(await s.takeSetting('k'), undefined);
        assert.equal(await s.getSetting('k'), undefined);
        assert.equal(await s.getSetting('other'), 'x');
        assert.equal(
          await s.batch(async (tx) => {
            await tx.setSetting('k', 'v2');
            return tx.takeSetting('k');
          }),
          'v2',
          'inside a batch too',
        );
      });
    });
  });
}

/** Registers the whole suite for one implementation. */
export function managerStoreContract(name: string, make: MakeManagerStore): void {
  void describe(`ManagerStore contract: ${name}`, () => {
    agentContract(make);
    tokenContract(make);
    orderContract(make);
    reportContract(make);
    batchContract(make);
    bulkContract(make);
    linkContract(make);
    settingContract(make);
  });
}
