/**
 * The ManagerStore conformance suite (core/orders/manager-store.ts), like the AgentStore one: every
 * implementation must pass it unchanged. Run it from a `*.test.ts` file with a factory that returns
 * a fresh, empty store. It states what callers rely on: id and seq assignment, single-use tokens,
 * which orders each query returns and in which order, idempotent execution reports, the active
 * list per agent, and that `batch` is one transaction.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ManagerStore, NewOrder, StoredOrder } from '../../src/core/orders/manager-store.js';
import type { ActiveResponse } from '../../src/protocol/execution-records.js';
import type { FleetExecution } from '../../src/protocol/fleet-records.js';

export type MakeManagerStore = () => ManagerStore;

function withStore(make: MakeManagerStore, fn: (s: ManagerStore) => void): void {
  const s = make();
  try {
    fn(s);
  } finally {
    s.close();
  }
}

function addAgent(s: ManagerStore, name: string, fingerprint: string, registeredAt = 1): string {
  const id = s.nextAgentId();
  s.insertAgent({
    id,
    name,
    fingerprint,
    registeredAt,
    removedAt: undefined,
    lastSeen: undefined,
    version: undefined,
    address: undefined,
    arDisabled: false,
  });
  return id;
}

function newOrder(over: Partial<NewOrder> = {}): NewOrder {
  return {
    agentId: '001',
    kind: 'add',
    source: 'alert',
    arName: 'mark600',
    key: undefined,
    alertId: 'a1',
    payload: '{"command":"add"}',
    createdAt: 1,
    expiresAt: 10_000,
    ...over,
  };
}

function activeFor(agentId: string, key: string, over: Partial<ActiveResponse> = {}): ActiveResponse {
  return {
    key,
    arName: 'mark600',
    program: 'active-response/bin/mark',
    deleteMessage: '{"command":"delete"}',
    addMessage: '{"command":"add"}',
    agentId,
    createdAt: 1,
    addedAt: 1,
    timeoutSec: 600,
    expiresAt: 600_001,
    repeatCount: 1,
    alertId: undefined,
    ruleId: 5,
    srcip: '192.0.2.1',
    user: undefined,
    ...over,
  };
}

function execution(agentId: string, id: number, over: Partial<FleetExecution> = {}): FleetExecution {
  return {
    id,
    key: `mark-${id}`,
    arName: 'mark600',
    program: 'active-response/bin/mark',
    action: 'add',
    agentId,
    alertId: undefined,
    ruleId: 5,
    srcip: '192.0.2.1',
    user: undefined,
    startedAt: 1,
    endedAt: 2,
    exitCode: 0,
    signal: undefined,
    timedOut: false,
    status: 'ok',
    stderrTail: '',
    note: undefined,
    orderSeq: undefined,
    receivedAt: 3,
    ...over,
  };
}

const seqs = (orders: readonly StoredOrder[]): number[] => orders.map((o) => o.seq);

function agentContract(make: MakeManagerStore): void {
  void describe('agents', () => {
    void test('ids are 001, 002, ... and a removed id is never reused', () => {
      withStore(make, (s) => {
        assert.equal(addAgent(s, 'one', 'AA'), '001');
        assert.equal(addAgent(s, 'two', 'BB'), '002');
        s.markAgentRemoved('001', 50);
        assert.equal(addAgent(s, 'three', 'CC'), '003');
      });
    });

    void test('get by id and by fingerprint; unknown ones are undefined; list in id order', () => {
      withStore(make, (s) => {
        addAgent(s, 'one', 'AA', 7);
        addAgent(s, 'two', 'BB');
        assert.deepEqual(s.getAgent('001'), {
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
        assert.equal(s.getAgentByFingerprint('BB')?.id, '002');
        assert.equal(s.getAgent('009'), undefined);
        assert.equal(s.getAgentByFingerprint('ZZ'), undefined);
        assert.deepEqual(
          s.listAgents().map((a) => a.id),
          ['001', '002'],
        );
      });
    });

    void test('removal is a mark that keeps the record; the first mark wins', () => {
      withStore(make, (s) => {
        addAgent(s, 'one', 'AA');
        s.markAgentRemoved('001', 50);
        s.markAgentRemoved('001', 60);
        assert.equal(s.getAgent('001')?.removedAt, 50);
        assert.equal(s.listAgents().length, 1);
      });
    });

    void test('updateAgentSeen writes lastSeen and keeps the fields it is not given', () => {
      withStore(make, (s) => {
        addAgent(s, 'one', 'AA');
        s.updateAgentSeen('001', { lastSeen: 9, version: '0.1.0', address: '192.0.2.9', arDisabled: true });
        s.updateAgentSeen('001', { lastSeen: 12 });
        const a = s.getAgent('001');
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
    void test('single use, bound to a name, valid until expiresAt, unknown hashes refused', () => {
      withStore(make, (s) => {
        s.addEnrollToken('h1', 'web', 0, 100);
        assert.deepEqual(s.useEnrollToken('h1', 'db', 10), { ok: false, reason: 'wrong-name' });
        assert.deepEqual(s.useEnrollToken('h1', 'web', 10), { ok: true, name: 'web' });
        assert.deepEqual(s.useEnrollToken('h1', 'web', 11), { ok: false, reason: 'used' });
        s.addEnrollToken('h2', 'web', 0, 100);
        assert.deepEqual(s.useEnrollToken('h2', 'web', 101), { ok: false, reason: 'expired' });
        assert.deepEqual(s.useEnrollToken('nope', 'web', 1), { ok: false, reason: 'unknown' });
      });
    });

    void test('a refusal for the wrong name does not burn the token', () => {
      withStore(make, (s) => {
        s.addEnrollToken('h1', 'web', 0, 100);
        s.useEnrollToken('h1', 'db', 10);
        assert.deepEqual(s.useEnrollToken('h1', 'web', 11), { ok: true, name: 'web' });
      });
    });

    void test('checking a token answers like using it but does not consume it', () => {
      withStore(make, (s) => {
        s.addEnrollToken('h1', 'web', 0, 100);
        assert.deepEqual(s.checkEnrollToken('h1', 'db', 10), { ok: false, reason: 'wrong-name' });
        assert.deepEqual(s.checkEnrollToken('h1', 'web', 10), { ok: true, name: 'web' });
        assert.deepEqual(s.checkEnrollToken('h1', 'web', 11), { ok: true, name: 'web' });
        assert.deepEqual(s.checkEnrollToken('h1', 'web', 101), { ok: false, reason: 'expired' });
        assert.deepEqual(s.checkEnrollToken('nope', 'web', 1), { ok: false, reason: 'unknown' });
        assert.deepEqual(s.useEnrollToken('h1', 'web', 12), { ok: true, name: 'web' });
        assert.deepEqual(s.checkEnrollToken('h1', 'web', 13), { ok: false, reason: 'used' });
      });
    });
  });
}

function orderContract(make: MakeManagerStore): void {
  void describe('orders', () => {
    void test('seq is per agent, from 1; the stored order carries what was given, state queued', () => {
      withStore(make, (s) => {
        const first = s.enqueueOrder(newOrder({ payload: 'm1' }));
        assert.equal(s.enqueueOrder(newOrder({ payload: 'm2' })).seq, 2);
        assert.equal(s.enqueueOrder(newOrder({ agentId: '002' })).seq, 1);
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
        assert.deepEqual(s.getOrder('001', 1), first);
        assert.equal(s.getOrder('001', 3), undefined);
      });
    });

    void test('queuedOrders: only queued ones of that agent, in seq order', () => {
      withStore(make, (s) => {
        for (const p of ['m1', 'm2', 'm3']) {
          s.enqueueOrder(newOrder({ payload: p }));
        }
        s.enqueueOrder(newOrder({ agentId: '002' }));
        s.updateOrder('001', 2, { state: 'delivered', deliveredAt: 5 });
        assert.deepEqual(
          s.queuedOrders('001').map((o) => o.payload),
          ['m1', 'm3'],
        );
      });
    });

    void test('updateOrder writes the given fields and keeps the others', () => {
      withStore(make, (s) => {
        s.enqueueOrder(newOrder());
        s.updateOrder('001', 1, { state: 'delivered', deliveredAt: 5 });
        s.updateOrder('001', 1, {
          state: 'executed',
          executedAt: 6,
          outcome: 'ok',
          executionId: 3,
          key: 'k',
        });
        s.updateOrder('001', 1, { state: 'reverted', revertedAt: 9 });
        const o = s.getOrder('001', 1);
        assert.deepEqual(
          [o?.state, o?.deliveredAt, o?.executedAt, o?.revertedAt, o?.outcome, o?.executionId, o?.key],
          ['reverted', 5, 6, 9, 'ok', 3, 'k'],
        );
        s.enqueueOrder(newOrder());
        s.updateOrder('001', 2, { state: 'expired', expiredAt: 20, note: 'agent gone' });
        assert.deepEqual([s.getOrder('001', 2)?.expiredAt, s.getOrder('001', 2)?.note], [20, 'agent gone']);
      });
    });

    void test('expirableOrders: queued orders with expiresAt < now, earliest deadline first', () => {
      withStore(make, (s) => {
        s.enqueueOrder(newOrder({ expiresAt: 300 }));
        s.enqueueOrder(newOrder({ expiresAt: 100 }));
        s.enqueueOrder(newOrder({ expiresAt: 200 }));
        s.enqueueOrder(newOrder({ agentId: '002', expiresAt: 150 }));
        s.enqueueOrder(newOrder({ expiresAt: 250 })); // delivered: never expires
        s.updateOrder('001', 4, { state: 'delivered', deliveredAt: 1 });
        assert.deepEqual(
          s.expirableOrders(300).map((o) => [o.agentId, o.seq]),
          [
            ['001', 2],
            ['002', 1],
            ['001', 3],
          ],
        );
        assert.deepEqual(s.expirableOrders(100), [], 'expiresAt == now is not expired yet');
      });
    });

    void test('executed add orders by key: only executed adds of that agent with a key, in seq order', () => {
      withStore(make, (s) => {
        for (let i = 0; i < 4; i++) {
          s.enqueueOrder(newOrder());
        }
        s.enqueueOrder(newOrder({ kind: 'revert', key: 'k1', payload: 'k1' }));
        s.enqueueOrder(newOrder({ agentId: '002' }));
        const exec = (agentId: string, seq: number, key: string): void => {
          s.updateOrder(agentId, seq, { state: 'executed', executedAt: 2, outcome: 'ok', key });
        };
        exec('001', 3, 'k1');
        exec('001', 1, 'k1');
        exec('001', 2, 'k2');
        exec('001', 5, 'k1'); // a revert order
        exec('002', 1, 'k1'); // another agent
        assert.deepEqual(seqs(s.executedOrdersWithKey('001', 'k1')), [1, 3]);
        assert.deepEqual(seqs(s.executedKeyedOrders('001')), [1, 2, 3]);
        assert.deepEqual(s.executedOrdersWithKey('001', 'absent'), []);
      });
    });

    void test('listOrders: most recent first, filtered by agent and state, limited, without payloads', () => {
      withStore(make, (s) => {
        s.enqueueOrder(newOrder({ createdAt: 10 }));
        s.enqueueOrder(newOrder({ createdAt: 30 }));
        s.enqueueOrder(newOrder({ agentId: '002', createdAt: 20 }));
        s.updateOrder('001', 1, { state: 'delivered', deliveredAt: 11 });
        const all = s.listOrders({});
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
          s.listOrders({ agentId: '001', state: 'queued' }).map((o) => o.seq),
          [2],
        );
        assert.equal(s.listOrders({ limit: 2 }).length, 2);
      });
    });

    void test('listOrders returns at most 100 without a limit', () => {
      withStore(make, (s) => {
        s.batch(() => {
          for (let i = 0; i < 105; i++) {
            s.enqueueOrder(newOrder({ createdAt: i }));
          }
        });
        assert.equal(s.listOrders({}).length, 100);
      });
    });

    void test('countOrdersByState counts every state, zero included', () => {
      withStore(make, (s) => {
        s.enqueueOrder(newOrder());
        s.enqueueOrder(newOrder());
        s.updateOrder('001', 1, { state: 'executed', executedAt: 2 });
        assert.deepEqual(s.countOrdersByState(), {
          queued: 1,
          delivered: 0,
          executed: 1,
          reverted: 0,
          expired: 0,
        });
      });
    });
  });
}

function reportContract(make: MakeManagerStore): void {
  void describe('executions and active responses reported by agents', () => {
    void test('an execution is recorded once per (agent, id) and read back unchanged', () => {
      withStore(make, (s) => {
        const rec = execution('001', 4, { orderSeq: 1, stderrTail: 'warn\n', note: 'n' });
        assert.equal(s.recordExecution(rec), true);
        assert.equal(s.recordExecution({ ...rec, status: 'failed' }), false, 'a re-sent report');
        assert.equal(s.recordExecution({ ...rec, agentId: '002' }), true);
        assert.deepEqual(s.listExecutions({ agentId: '001', limit: 10 }), [rec]);
      });
    });

    void test('lastExecutionId is per agent, 0 when none', () => {
      withStore(make, (s) => {
        assert.equal(s.lastExecutionId('001'), 0);
        s.recordExecution(execution('001', 7));
        s.recordExecution(execution('001', 3));
        s.recordExecution(execution('002', 9));
        assert.equal(s.lastExecutionId('001'), 7);
      });
    });

    void test('listExecutions: most recently received first, by agent, limited', () => {
      withStore(make, (s) => {
        s.recordExecution(execution('001', 1));
        s.recordExecution(execution('002', 1));
        s.recordExecution(execution('001', 2));
        assert.deepEqual(
          s.listExecutions({ limit: 10 }).map((e) => `${e.agentId}/${e.id}`),
          ['001/2', '002/1', '001/1'],
        );
        assert.deepEqual(
          s.listExecutions({ agentId: '001', limit: 1 }).map((e) => e.id),
          [2],
        );
      });
    });

    void test('putActive replaces the same (agent, key); lists are by agent, then key', () => {
      withStore(make, (s) => {
        s.putActive(activeFor('002', 'k1'), 1);
        s.putActive(activeFor('001', 'k2'), 1);
        s.putActive(activeFor('001', 'k1'), 1);
        s.putActive(activeFor('001', 'k1', { repeatCount: 2 }), 5);
        assert.deepEqual(
          s.listActive().map((a) => `${a.agentId}/${a.key}`),
          ['001/k1', '001/k2', '002/k1'],
        );
        assert.deepEqual(s.listActive('001')[0], {
          ...activeFor('001', 'k1', { repeatCount: 2 }),
          reportedAt: 5,
        });
        assert.equal(s.countActive(), 3);
      });
    });

    void test('replaceActive swaps one agent whole list; removeActive removes one key of one agent', () => {
      withStore(make, (s) => {
        s.putActive(activeFor('001', 'k1'), 1);
        s.putActive(activeFor('001', 'k2'), 1);
        s.putActive(activeFor('002', 'k1'), 1);
        s.replaceActive('001', [activeFor('001', 'k3')], 2);
        assert.deepEqual(
          s.listActive('001').map((a) => [a.key, a.reportedAt]),
          [['k3', 2]],
        );
        s.removeActive('002', 'k1');
        s.removeActive('002', 'absent');
        assert.deepEqual(
          s.listActive().map((a) => `${a.agentId}/${a.key}`),
          ['001/k3'],
        );
        s.replaceActive('001', [], 3);
        assert.equal(s.countActive(), 0);
      });
    });
  });
}

function batchContract(make: MakeManagerStore): void {
  void describe('batch', () => {
    void test('returns what fn returns, with every write committed', () => {
      withStore(make, (s) => {
        const n = s.batch(() => {
          s.enqueueOrder(newOrder());
          s.enqueueOrder(newOrder());
          return 2;
        });
        assert.equal(n, 2);
        assert.equal(s.queuedOrders('001').length, 2);
      });
    });

    void test('a throw rolls back every write of the batch and is rethrown', () => {
      withStore(make, (s) => {
        s.enqueueOrder(newOrder());
        assert.throws(
          () =>
            s.batch(() => {
              s.enqueueOrder(newOrder());
              s.putActive(activeFor('001', 'k1'), 1);
              throw new Error('boom');
            }),
          /boom/,
        );
        assert.deepEqual(seqs(s.queuedOrders('001')), [1]);
        assert.equal(s.countActive(), 0);
        assert.equal(s.enqueueOrder(newOrder()).seq, 2, 'the rolled-back seq is assigned again');
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
  });
}
