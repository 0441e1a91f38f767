/**
 * The agent's link session against a manager whose store is older than the agent's applied marks
 * (restored from a backup; or installed anew, handing out the same agent id under another CA): the
 * orders that manager numbers from its own counter run, instead of being acked as applied because
 * an earlier history used the same seqs.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LAST_ORDER_SEQ_SETTING, ORDERS_AGENT_ID_SETTING } from '../../src/link/applied-orders.js';
import { AgentLinkSession } from '../../src/link/agent-link-session.js';
import type { AgentStore } from '../../src/core/execd/agent-store.js';
import type { AgentFrame, WelcomeFrame } from '../../src/protocol/link.js';
import { memoryDaemonLog } from '../../src/log/daemon-log.js';
import { tempAgentStore } from '../support/temp-agent-store.js';
import { until } from '../support/event-turns.js';
import { sampleEnd, sampleStart } from '../contract/agent-store.fixtures.js';

interface Run {
  readonly seq: number;
  end: () => void;
}

/**
 * A daemon start on `store`, enrolled under CA `ca`: a fake execd that records each order it is
 * given and ends it when the test says (or at once with `auto`), and what went out.
 */
function link(store: AgentStore, opts: { ca?: string; auto?: boolean } = {}) {
  const log = memoryDaemonLog();
  const runs: Run[] = [];
  const submit = (_raw: string, seq?: number) =>
    new Promise<{ executionId: number; key: undefined; decision: 'none' }>((resolve) => {
      const id = store.startExecution(sampleStart({ agentId: '001', startedAt: 1, orderSeq: seq ?? 0 }));
      const end = () => {
        store.endExecution(id, sampleEnd({ endedAt: 2 }));
        session.notifyExecution(id);
        resolve({ executionId: id, key: undefined, decision: 'none' });
      };
      runs.push({ seq: seq ?? 0, end });
      if (opts.auto !== false) {
        end();
      }
    });
  const session = new AgentLinkSession({
    execd: { submit, revert: () => Promise.resolve(undefined), listActive: () => store.listActive() },
    store,
    log,
    version: 't',
    disabled: false,
    installArConf: () => undefined,
    ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
  });
  const sent: AgentFrame[] = [];
  const acked = () => sent.flatMap((f) => (f.type === 'ack' ? [f.seq] : f.type === 'acks' ? f.seqs : []));
  return {
    log,
    ran: () => runs.map((r) => r.seq),
    runs,
    acked,
    reportedSeqs: () =>
      sent
        .flatMap((f) => (f.type === 'executions' ? f.items : f.type === 'execution' ? [f] : []))
        .flatMap((i) => (i.seq !== undefined ? [i.seq] : [])),
    connect: (welcome: Partial<WelcomeFrame>) => {
      session.disconnected();
      session.connected((f) => sent.push(f));
      session.onFrame({
        type: 'welcome',
        agentId: '001',
        lastExecutionId: 0,
        arConf: '',
        batches: true,
        ...welcome,
      });
    },
    orders: (seqs: readonly number[]) => {
      for (const seq of seqs) {
        session.onFrame({ type: 'order', seq, kind: 'add', message: `{"command":"mark","n":${seq}}` });
      }
    },
    /** Waits until every seq in `seqs` is acked. */
    acks: (seqs: readonly number[]) =>
      until(`acks of ${seqs.join(',')}`, () => seqs.every((s) => acked().includes(s))),
  };
}

describe('agent link session: a manager whose store is older than the marks', () => {
  test("a welcome numbering through 2 after orders 1..5 ran: the manager's new orders 3..5 run, 1..2 are acked", async () => {
    const store = tempAgentStore();
    const a = link(store);
    a.connect({ numberedThrough: 5 });
    a.orders([1, 2, 3, 4, 5]);
    await a.acks([1, 2, 3, 4, 5]);
    assert.deepEqual(a.ran(), [1, 2, 3, 4, 5]);
    assert.equal(store.getSetting(LAST_ORDER_SEQ_SETTING), '5');
    await until('the reports of 1..5', () => a.reportedSeqs().length === 5);

    // The manager's store restored from a backup taken after order 2: it numbers from 3 again.
    a.connect({ numberedThrough: 2, settledThrough: 2, lastExecutionId: 5 });
    assert.equal(store.getSetting(LAST_ORDER_SEQ_SETTING), '2');
    const warned = a.log.lines.find((l) => l.level === 'warn' && l.msg.includes('only up to seq 2'));
    assert.ok(warned, JSON.stringify(a.log.lines));
    a.orders([1, 2, 3, 4, 5]);
    await a.acks([1, 2, 3, 4, 5]);
    assert.deepEqual(a.ran(), [1, 2, 3, 4, 5, 3, 4, 5], 'the new 3..5 ran; the old 1..2 were acked');
    await until('the reports of the new runs', () => a.reportedSeqs().length === 8);
    assert.deepEqual(a.reportedSeqs().slice(5), [3, 4, 5]);
    assert.equal(store.getSetting(LAST_ORDER_SEQ_SETTING), '5');
  });

  test('a run recorded above the number (cut short before its mark) is not taken for the new order', async () => {
    const store = tempAgentStore();
    const a = link(store);
    a.connect({ numberedThrough: 3 });
    a.orders([1, 2]);
    await a.acks([1, 2]);
    // Order 3 ran to its end, then a kill -9 before its mark: the marks say 2, the store holds a
    // run of 3 (a redelivery of that 3 is acked, not run again: AppliedOrders.ranBefore).
    const id = store.startExecution(sampleStart({ agentId: '001', startedAt: 1, orderSeq: 3 }));
    store.endExecution(id, sampleEnd({ endedAt: 2 }));
    const b = link(store);
    b.connect({ numberedThrough: 2 });
    b.orders([3]);
    await b.acks([3]);
    assert.deepEqual(b.ran(), [3], "the restored manager's order 3 ran");
  });

  test('an order above the number still running: the welcome is refused until it ends, then the cut is made', async () => {
    const store = tempAgentStore();
    const a = link(store, { auto: false });
    a.connect({ numberedThrough: 4 });
    a.orders([1, 2, 3, 4]);
    for (const r of a.runs.slice(0, 3)) {
      r.end();
    }
    await a.acks([1, 2, 3]);
    assert.throws(() => {
      a.connect({ numberedThrough: 2 });
    }, /orders 4 from before still run/);
    assert.equal(store.getSetting(LAST_ORDER_SEQ_SETTING), '3', 'nothing cut');
    a.runs[3]?.end();
    await until('order 4 marked', () => store.getSetting(LAST_ORDER_SEQ_SETTING) === '4');
    a.connect({ numberedThrough: 2 });
    assert.equal(store.getSetting(LAST_ORDER_SEQ_SETTING), '2');
    a.orders([3, 4]);
    await until('the new 3 and 4 running', () => a.runs.length === 6);
    for (const r of a.runs.slice(4)) {
      r.end();
    }
    await a.acks([3, 4]);
    assert.deepEqual(a.ran(), [1, 2, 3, 4, 3, 4]);
  });

  test('a welcome numbering at or above the marks changes nothing: a redelivery is acked, not run', async () => {
    const store = tempAgentStore();
    const a = link(store);
    a.connect({ numberedThrough: 3 });
    a.orders([1, 2, 3]);
    await a.acks([1, 2, 3]);
    a.connect({ numberedThrough: 3 });
    a.connect({ numberedThrough: 9 });
    a.orders([1, 2, 3]);
    await until('the redelivery acked', () => a.acked().length === 6);
    assert.deepEqual(a.ran(), [1, 2, 3]);
    assert.equal(a.log.lines.filter((l) => l.level === 'warn').length, 0);
    // An older manager says nothing about its numbering: nothing changes either.
    a.connect({});
    assert.equal(store.getSetting(LAST_ORDER_SEQ_SETTING), '3');
  });

  test("a report the manager lost is sent again with its order's seq: on a reconnect, by a later process", async () => {
    const store = tempAgentStore();
    const a = link(store);
    a.connect({ numberedThrough: 2 });
    a.orders([1, 2]);
    await a.acks([1, 2]);
    await until('the reports of 1 and 2', () => a.reportedSeqs().length === 2);
    // The manager restarted before it stored them: it holds no execution of this agent.
    a.connect({ numberedThrough: 2, lastExecutionId: 0 });
    await until('the reports sent again', () => a.reportedSeqs().length === 4);
    assert.deepEqual(a.reportedSeqs(), [1, 2, 1, 2]);
    // A restored store, and another agent process: the same, from the seqs the store keeps.
    const b = link(store);
    b.connect({ numberedThrough: 1, lastExecutionId: 0 });
    await until('the report sent again', () => b.reportedSeqs().length === 1);
    assert.deepEqual(b.reportedSeqs(), [1], "2 is not the restored manager's order 2");
    assert.deepEqual(b.ran(), []);
  });

  test('the same agent id under another CA (a manager installed anew): its orders 1..3 run', async () => {
    const store = tempAgentStore();
    const a = link(store, { ca: 'AA' });
    a.connect({ numberedThrough: 3 });
    a.orders([1, 2, 3]);
    await a.acks([1, 2, 3]);
    assert.equal(store.getSetting(ORDERS_AGENT_ID_SETTING), '001 ca:AA');

    // Its new manager queued 3 orders for 001 before the agent first connected.
    const b = link(store, { ca: 'BB' });
    b.connect({ numberedThrough: 3 });
    b.orders([1, 2, 3]);
    await b.acks([1, 2, 3]);
    assert.deepEqual(b.ran(), [1, 2, 3]);
    assert.equal(store.getSetting(ORDERS_AGENT_ID_SETTING), '001 ca:BB');
  });

  test('marks kept under the bare id (the version before the CA) stay with the same id', async () => {
    const store = tempAgentStore();
    const a = link(store);
    a.connect({ numberedThrough: 2 });
    a.orders([1, 2]);
    await a.acks([1, 2]);
    assert.equal(store.getSetting(ORDERS_AGENT_ID_SETTING), '001');
    const upgraded = link(store, { ca: 'AA' });
    upgraded.connect({ numberedThrough: 2 });
    upgraded.orders([1, 2]);
    await upgraded.acks([1, 2]);
    assert.deepEqual(upgraded.ran(), [], 'an upgrade runs no applied order again');
    assert.equal(store.getSetting(ORDERS_AGENT_ID_SETTING), '001 ca:AA');
  });
});
