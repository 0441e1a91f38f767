/**
 * The agent's link session after its home is enrolled again (`riposte agent enroll`: a new agent
 * id, whose order seqs start again at 1, on the same var/agent.db): the new id's orders run, and
 * the executions of the earlier id are not reported as the new one's. A store of a version that
 * kept no agent id with its applied marks keeps them (an upgrade runs no order again).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  APPLIED_ORDER_SEQS_SETTING,
  LAST_ORDER_SEQ_SETTING,
  ORDERS_AFTER_EXECUTION_SETTING,
  ORDERS_AGENT_ID_SETTING,
} from '../../src/link/applied-orders.js';
import type { AgentStore } from '../../src/core/execd/agent-store.js';
import type { AgentFrame } from '../../src/protocol/link.js';
import { tempAgentStore } from '../support/temp-agent-store.js';
import { until } from '../support/event-turns.js';
import { testLinkSession } from '../support/link-session.js';
import { sampleEnd, sampleStart } from '../contract/agent-store.fixtures.js';

/** Records an ended execution of order `seq` as execd does (the seq with its start record). */
function recordOrder(store: AgentStore, agentId: string, seq: number): number {
  const id = store.startExecution(sampleStart({ agentId, startedAt: 1, orderSeq: seq }));
  store.endExecution(id, sampleEnd({ endedAt: 2 }));
  return id;
}

/**
 * A daemon start on `store` linked as `agentId` (the manager holds its executions up to
 * `lastExecutionId`): a fake execd that records each order it is given, and what went out.
 */
function link(store: AgentStore, agentId: string, lastExecutionId = 0) {
  const submitted: number[] = [];
  const submit = (_raw: string, seq?: number) => {
    submitted.push(seq ?? 0);
    const id = recordOrder(store, agentId, seq ?? 0);
    session.notifyExecution(id);
    return Promise.resolve({ executionId: id, key: undefined, decision: 'none' as const });
  };
  const session = testLinkSession(store, submit);
  const sent: AgentFrame[] = [];
  session.connected((f) => sent.push(f));
  session.onFrame({ type: 'welcome', agentId, lastExecutionId, arConf: '', settledThrough: 0 });
  const items = () =>
    sent.flatMap((f) => (f.type === 'executions' ? f.items : f.type === 'execution' ? [f] : []));
  return {
    submitted,
    order: (seq: number) => {
      session.onFrame({ type: 'order', seq, kind: 'add', message: `{"command":"mark","n":${seq}}` });
    },
    acked: () => sent.flatMap((f) => (f.type === 'ack' ? [f.seq] : f.type === 'acks' ? f.seqs : [])),
    reportedIds: () => items().map((i) => i.record.id),
    reportedSeqs: () => items().flatMap((i) => (i.seq !== undefined ? [i.seq] : [])),
    hello: () => {
      const h = sent[0];
      assert.ok(h?.type === 'hello');
      return h;
    },
    close: () => {
      session.disconnected();
    },
  };
}

describe('agent link session: a home enrolled again', () => {
  test("the new agent id's orders 1..3 run and are acked; the earlier id's executions are not reported", async () => {
    const store = tempAgentStore();
    const a = link(store, '001');
    for (const seq of [1, 2, 3]) {
      a.order(seq);
    }
    await until("001's reports", () => a.reportedSeqs().length === 3);
    assert.deepEqual(a.submitted, [1, 2, 3]);
    a.close();
    const lastOfA = Math.max(...a.reportedIds());

    // The same home enrolled again as 007, whose manager holds none of its executions yet.
    const b = link(store, '007');
    // 3 first (with several manager nodes an order can come after a higher one): 1 and 2 are then
    // looked up as runs cut short by a kill -9, and 001's runs of its own 1 and 2 must not count.
    for (const seq of [3, 1, 2]) {
      b.order(seq);
    }
    await until("007's acks", () => b.acked().length === 3);
    assert.deepEqual(b.submitted, [3, 1, 2], 'each order of 007 ran');
    await until("007's reports", () => b.reportedSeqs().length === 3);
    assert.equal(store.getSetting(ORDERS_AGENT_ID_SETTING), '007');
    assert.equal(store.getSetting(LAST_ORDER_SEQ_SETTING), '3');
    assert.equal(store.getSetting(ORDERS_AFTER_EXECUTION_SETTING), String(lastOfA));
    assert.deepEqual(
      b.acked().sort((x, y) => x - y),
      [1, 2, 3],
      'each acked once',
    );
    // Reports are read in id order: 001's would have come first, before 007's.
    assert.ok(
      b.reportedIds().every((id) => id > lastOfA),
      `007 reported 001's executions: ${b.reportedIds().join(',')}`,
    );
    b.close();

    // 007 again (a restart): its own marks hold, a redelivery is acked and does not run.
    const again = link(store, '007', Math.max(...b.reportedIds()));
    assert.equal(again.hello().lastOrderSeq, 3);
    for (const seq of [1, 2, 3]) {
      again.order(seq);
    }
    await until('the acks of the redelivery', () => again.acked().length === 3);
    assert.deepEqual(again.submitted, []);
    assert.equal(store.getSetting(ORDERS_AFTER_EXECUTION_SETTING), String(lastOfA));
  });

  test('a store that kept no agent id keeps its marks (an upgrade runs nothing again); a later new id resets them', async () => {
    const store = tempAgentStore();
    // What the previous version left: orders 1..3 applied and recorded, no agent id stored.
    const ids = [1, 2, 3].map((seq) => recordOrder(store, '001', seq));
    store.setSetting(LAST_ORDER_SEQ_SETTING, '3');
    store.setSetting(APPLIED_ORDER_SEQS_SETTING, '[]');
    assert.equal(store.getSetting(ORDERS_AGENT_ID_SETTING), undefined);

    const upgraded = link(store, '001', Math.max(...ids));
    assert.equal(upgraded.hello().lastOrderSeq, 3);
    for (const seq of [1, 2, 3]) {
      upgraded.order(seq);
    }
    await until('the acks of the redelivery', () => upgraded.acked().length === 3);
    assert.deepEqual(upgraded.submitted, [], 'an upgrade runs no applied order again');
    assert.equal(store.getSetting(LAST_ORDER_SEQ_SETTING), '3');
    upgraded.close();

    // Enrolled again later: the marks, 001's since the upgrade, are told from the new id's.
    const b = link(store, '007');
    b.order(1);
    await until("007's order 1 acked", () => b.acked().includes(1));
    assert.deepEqual(b.submitted, [1]);
    assert.equal(store.getSetting(ORDERS_AGENT_ID_SETTING), '007');
  });
});
