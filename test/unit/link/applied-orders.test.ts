/**
 * AppliedOrders (applied-orders.ts): the marks written to the agent store and read back, the cap's
 * give-up logged, and a settledThrough the store cannot take logged and left out (nothing else
 * changes: the gap stays open, the marks in memory match the store).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  APPLIED_ORDER_SEQS_SETTING,
  AppliedOrders,
  LAST_ORDER_SEQ_SETTING,
  ORDERS_AGENT_ID_SETTING,
} from '../../../src/link/applied-orders.js';
import type { AgentStore } from '../../../src/core/execd/agent-store.js';
import { memoryDaemonLog } from '../../../src/log/daemon-log.js';
import { tempAgentStore } from '../../support/temp-agent-store.js';
import { sampleStart } from '../../contract/agent-store.fixtures.js';

/**
 * `store`, whose transactions fail once `full()` says so (a full disk; a Proxy: the shipped store
 * is one, its methods stay).
 */
function fullWhen(store: AgentStore, full: () => boolean): AgentStore {
  return new Proxy(store, {
    get: (target, prop, receiver) =>
      prop === 'transaction' && full()
        ? () => {
            throw new Error('database or disk is full');
          }
        : (Reflect.get(target, prop, receiver) as unknown),
  });
}

describe('AppliedOrders', () => {
  test('marks are stored and read back by a new instance (a restart)', () => {
    const store = tempAgentStore();
    const applied = new AppliedOrders(store, memoryDaemonLog());
    applied.mark([1, 3], []);
    assert.equal(store.getSetting(LAST_ORDER_SEQ_SETTING), '1');
    assert.equal(store.getSetting(APPLIED_ORDER_SEQS_SETTING), '[3]');
    const again = new AppliedOrders(store, memoryDaemonLog());
    assert.equal(again.floor(), 1);
    assert.deepEqual(
      [1, 2, 3].map((s) => again.has(s)),
      [true, false, true],
    );
  });

  test('a settledThrough the store cannot take is logged; the gap stays open, in memory as in the store', () => {
    const store = tempAgentStore();
    let full = false;
    const failing = fullWhen(store, () => full);
    const log = memoryDaemonLog();
    const applied = new AppliedOrders(failing, log);
    applied.mark([3], []);
    full = true;
    applied.settleThrough(3);
    assert.deepEqual(log.lines, [
      { level: 'error', msg: 'Cannot record the orders settled through 3: database or disk is full' },
    ]);
    assert.equal(applied.has(2), false);
    assert.equal(applied.floor(), 0);
    assert.equal(store.getSetting(LAST_ORDER_SEQ_SETTING), '0');
  });

  test('a reset for another agent id the store cannot take throws; nothing changed', () => {
    const store = tempAgentStore();
    let full = false;
    const failing = fullWhen(store, () => full);
    const applied = new AppliedOrders(failing, memoryDaemonLog());
    assert.equal(applied.adopt('001'), 0, 'an upgraded store: its marks kept, nothing left out');
    applied.mark([1, 2], []);
    const restarted = new AppliedOrders(failing, memoryDaemonLog());
    full = true;
    assert.throws(() => restarted.adopt('007'), /disk is full/);
    assert.equal(restarted.floor(), 2);
    assert.equal(restarted.executionsAfter(), 0);
    assert.equal(store.getSetting(ORDERS_AGENT_ID_SETTING), '001');
    full = false;
    const last = store.startExecution(sampleStart());
    assert.equal(restarted.adopt('007'), last, 'the next welcome resets them');
    assert.equal(restarted.floor(), 0);
    assert.equal(restarted.has(1), false);
  });

  test("a re-enrollment forgets the revert marks (the earlier id's seqs); an upgraded store keeps them", () => {
    const store = tempAgentStore();
    const key = 'firewall-drop-203.0.113.45';
    store.markRevertOrder(key, 9, 1_763_600_000_000);
    assert.equal(new AppliedOrders(store, memoryDaemonLog()).adopt('001'), 0);
    assert.equal(store.revertOrderAfter(key, 5), 9, 'the same enrollment: kept');
    assert.equal(new AppliedOrders(store, memoryDaemonLog()).adopt('007'), 0);
    assert.equal(store.revertOrderAfter(key, 5), undefined, 'seq 9 of agent 001 says nothing of 007');
    assert.equal(store.maxOrderSeq(), 0);
  });
});
