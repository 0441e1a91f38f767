/** Contract of the manager store (SQLite, in memory and on disk across a reopen). */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openSqliteManagerStore } from '../../src/store/sqlite-manager-store.js';
import type { ManagerStore } from '../../src/core/orders/manager-store.js';
import type { ActiveResponse } from '../../src/protocol/execution-records.js';
import { makeDir, removeDir } from './support/fleet.js';

const dir = makeDir('mstore');
after(() => {
  removeDir(dir);
});

function agent(store: ManagerStore, name: string, fp: string): string {
  const id = store.nextAgentId();
  store.insertAgent({
    id,
    name,
    fingerprint: fp,
    registeredAt: 1,
    removedAt: undefined,
    lastSeen: undefined,
    version: undefined,
    address: undefined,
    arDisabled: false,
  });
  return id;
}

function active(agentId: string, key: string): ActiveResponse {
  return {
    key,
    arName: 'mark600',
    program: 'active-response/bin/mark',
    deleteMessage: '{}',
    addMessage: '{}',
    agentId,
    createdAt: 1,
    addedAt: 1,
    timeoutSec: 600,
    expiresAt: 600_001,
    repeatCount: 1,
    alertId: undefined,
    ruleId: 5,
    srcip: '10.0.0.1',
    user: undefined,
  };
}

function order(store: ManagerStore, agentId: string, payload: string, expiresAt = 10_000) {
  return store.enqueueOrder({
    agentId,
    kind: 'add',
    source: 'alert',
    arName: 'mark600',
    key: undefined,
    alertId: 'a',
    payload,
    createdAt: 1,
    expiresAt,
  });
}

describe('manager store', () => {
  test('agent ids are assigned in sequence, looked up by fingerprint, removed by marking', () => {
    const s = openSqliteManagerStore(':memory:');
    assert.equal(agent(s, 'one', 'AA'), '001');
    assert.equal(agent(s, 'two', 'BB'), '002');
    assert.equal(s.getAgentByFingerprint('BB')?.name, 'two');
    s.markAgentRemoved('001', 50);
    assert.equal(s.getAgent('001')?.removedAt, 50);
    assert.equal(agent(s, 'three', 'CC'), '003', 'a removed id is never reused');
    s.updateAgentSeen('002', { lastSeen: 9, version: '0.1.0', address: '10.1.1.1', arDisabled: true });
    const two = s.getAgent('002');
    assert.deepEqual(
      [two?.lastSeen, two?.version, two?.address, two?.arDisabled],
      [9, '0.1.0', '10.1.1.1', true],
    );
    s.close();
  });

  test('enrollment tokens: single use, expiring, bound to a name', () => {
    const s = openSqliteManagerStore(':memory:');
    s.addEnrollToken('h1', 'web', 0, 100);
    assert.deepEqual(s.useEnrollToken('h1', 'db', 10), { ok: false, reason: 'wrong-name' });
    assert.deepEqual(s.useEnrollToken('h1', 'web', 10), { ok: true, name: 'web' });
    assert.deepEqual(s.useEnrollToken('h1', 'web', 11), { ok: false, reason: 'used' });
    s.addEnrollToken('h2', 'web', 0, 100);
    assert.deepEqual(s.useEnrollToken('h2', 'web', 101), { ok: false, reason: 'expired' });
    assert.deepEqual(s.useEnrollToken('nope', 'web', 1), { ok: false, reason: 'unknown' });
    s.close();
  });

  test('orders: per-agent seq, queued in order, transitions, expiry candidates, counts', () => {
    const s = openSqliteManagerStore(':memory:');
    assert.equal(order(s, '001', 'm1').seq, 1);
    assert.equal(order(s, '001', 'm2', 50).seq, 2);
    assert.equal(order(s, '002', 'x').seq, 1);
    assert.deepEqual(
      s.queuedOrders('001').map((o) => o.payload),
      ['m1', 'm2'],
    );
    s.updateOrder('001', 1, { state: 'delivered', deliveredAt: 5 });
    s.updateOrder('001', 1, {
      state: 'executed',
      executedAt: 6,
      outcome: 'ok',
      executionId: 3,
      key: 'mark-1',
    });
    const one = s.getOrder('001', 1);
    assert.deepEqual(
      [one?.state, one?.deliveredAt, one?.executedAt, one?.outcome, one?.key],
      ['executed', 5, 6, 'ok', 'mark-1'],
    );
    assert.deepEqual(
      s.expirableOrders(60).map((o) => [o.agentId, o.seq]),
      [['001', 2]],
    );
    assert.deepEqual(
      s.executedOrdersWithKey('001', 'mark-1').map((o) => o.seq),
      [1],
    );
    assert.equal(s.countOrdersByState().queued, 2);
    assert.equal(s.countOrdersByState().executed, 1);
    assert.equal(s.listOrders({ agentId: '001', state: 'queued' }).length, 1);
    assert.ok(!('payload' in (s.listOrders({})[0] ?? {})), 'listings do not carry payloads');
    s.close();
  });

  test('executions are recorded once per (agent, id); active lists are replaced on reconcile', () => {
    const s = openSqliteManagerStore(':memory:');
    const rec = {
      id: 4,
      key: 'mark-1',
      arName: 'mark600',
      program: 'p',
      action: 'add' as const,
      agentId: '001',
      alertId: undefined,
      ruleId: 5,
      srcip: '10.0.0.1',
      user: undefined,
      startedAt: 1,
      endedAt: 2,
      exitCode: 0,
      signal: undefined,
      timedOut: false,
      status: 'ok' as const,
      stderrTail: '',
      note: undefined,
      orderSeq: 1,
      receivedAt: 3,
    };
    assert.equal(s.recordExecution(rec), true);
    assert.equal(s.recordExecution(rec), false);
    assert.equal(s.recordExecution({ ...rec, agentId: '002' }), true);
    assert.equal(s.lastExecutionId('001'), 4);
    assert.deepEqual(s.listExecutions({ agentId: '001', limit: 10 }), [rec]);
    s.putActive(active('001', 'k1'), 1);
    s.putActive(active('001', 'k2'), 1);
    s.putActive(active('002', 'k1'), 1);
    s.replaceActive('001', [active('001', 'k3')], 2);
    assert.deepEqual(
      s.listActive('001').map((a) => a.key),
      ['k3'],
    );
    assert.equal(s.countActive(), 2);
    s.removeActive('002', 'k1');
    assert.deepEqual(
      s.listActive().map((a) => `${a.agentId}/${a.key}`),
      ['001/k3'],
    );
    s.close();
  });

  test('a reopened file keeps every order (durability across a restart)', () => {
    const file = path.join(dir, 'manager.db');
    const a = openSqliteManagerStore(file);
    order(a, '001', 'm1');
    order(a, '001', 'm2');
    a.close();
    const b = openSqliteManagerStore(file);
    assert.deepEqual(
      b.queuedOrders('001').map((o) => o.payload),
      ['m1', 'm2'],
    );
    assert.equal(order(b, '001', 'm3').seq, 3);
    b.close();
  });
});
