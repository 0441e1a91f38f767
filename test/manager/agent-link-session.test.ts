/** The agent's side of the link protocol, with a fake execd: redelivery, rejection, reporting. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentLinkSession } from '../../src/link/agent-link-session.js';
import {
  APPLIED_ORDER_SEQS_SETTING,
  LAST_ORDER_SEQ_SETTING,
  MISSING_ORDER_SEQS_SETTING,
} from '../../src/link/applied-orders.js';
import { tempAgentStore } from '../support/temp-agent-store.js';
import { turn, until } from '../support/event-turns.js';
import { memoryDaemonLog } from '../../src/log/daemon-log.js';
import type { AgentFrame } from '../../src/protocol/link.js';
import type { AgentStore } from '../../src/core/execd/agent-store.js';
import type { ExecutionStart } from '../../src/protocol/execution-records.js';
import { sampleEnd, sampleStart } from '../contract/agent-store.fixtures.js';

/** The start of an execution of agent 001's `mark` script (what the fake execd records). */
function markStart(over: Partial<ExecutionStart> = {}): ExecutionStart {
  return sampleStart({
    arName: 'mark600',
    program: 'active-response/bin/mark',
    agentId: '001',
    startedAt: 1,
    ...over,
  });
}

interface SetupOptions {
  readonly refuse?: boolean;
  readonly disabled?: boolean;
  /** submit throws this (synchronously, as a failing store does). */
  readonly submitThrows?: Error;
  /** installArConf throws this (a full disk). */
  readonly installThrows?: Error;
}

function setup(opts: SetupOptions = {}) {
  const store: AgentStore = tempAgentStore();
  const submitted: string[] = [];
  const installed: string[] = [];
  const log = memoryDaemonLog();
  const execd = {
    submit: (raw: string) => {
      submitted.push(raw);
      if (opts.submitThrows !== undefined) {
        throw opts.submitThrows;
      }
      if (opts.refuse === true) {
        return Promise.resolve(undefined);
      }
      const id = store.startExecution(markStart({ key: 'mark-1', srcip: '1' }));
      store.endExecution(id, sampleEnd({ endedAt: 2 }));
      return Promise.resolve({ executionId: id, key: 'mark-1', decision: 'started' as const });
    },
    revert: () => Promise.resolve(undefined),
    listActive: () => store.listActive(),
  };
  const session = new AgentLinkSession({
    execd,
    store,
    log,
    version: 't',
    disabled: opts.disabled ?? false,
    installArConf: (text) => {
      if (opts.installThrows !== undefined) {
        throw opts.installThrows;
      }
      installed.push(text);
    },
  });
  const sent: AgentFrame[] = [];
  session.connected((f) => sent.push(f));
  session.onFrame({ type: 'welcome', agentId: '001', lastExecutionId: 0, arConf: 'x - y - 0\n' });
  return { store, session, sent, submitted, installed, log };
}

describe('agent link session', () => {
  test('hello first, then the active list after the welcome; ar.conf installed', () => {
    const { sent, installed } = setup();
    assert.deepEqual(
      sent.map((f) => f.type),
      ['hello', 'active-list'],
    );
    assert.deepEqual(installed, ['x - y - 0\n']);
  });

  test('an order runs once, is acked, and its execution is reported with the seq', async () => {
    const { session, sent, submitted, store } = setup();
    session.onFrame({ type: 'order', seq: 1, kind: 'add', message: '{"command":"mark600"}' });
    await until('the execution report', () => sent.some((f) => f.type === 'execution'));
    assert.equal(store.getSetting(LAST_ORDER_SEQ_SETTING), '1');
    const exec = sent.find((f) => f.type === 'execution');
    assert.ok(exec?.type === 'execution');
    assert.equal(exec.seq, 1);
    assert.deepEqual(submitted, ['{"command":"mark600"}']);
    // Redelivered after a lost ack / manager crash: acked again, never run twice.
    session.onFrame({ type: 'order', seq: 1, kind: 'add', message: '{"command":"mark600"}' });
    // A run would have called submit synchronously; the turns let a (wrong) report surface.
    assert.equal(submitted.length, 1);
    await turn();
    await turn();
    assert.deepEqual(
      sent.filter((f) => f.type === 'ack').map((f) => (f.type === 'ack' ? f.seq : 0)),
      [1, 1],
    );
    assert.equal(sent.filter((f) => f.type === 'execution').length, 1, 'reported once');
  });

  test('an order that arrives after a higher one still runs (several manager nodes), each once', async () => {
    const { session, sent, submitted, store } = setup();
    const acked = (): number[] => sent.flatMap((f) => (f.type === 'ack' ? [f.seq] : []));
    // The node holding the link sends its own order 2 at once; order 1, stored by another node, is
    // still on the bus.
    session.onFrame({ type: 'order', seq: 2, kind: 'add', message: '{"command":"mark600","n":2}' });
    await until('the ack of 2', () => acked().includes(2));
    assert.equal(store.getSetting(LAST_ORDER_SEQ_SETTING), '0');
    assert.equal(store.getSetting(APPLIED_ORDER_SEQS_SETTING), '[2]');
    session.onFrame({ type: 'order', seq: 1, kind: 'add', message: '{"command":"mark600","n":1}' });
    await until('the ack of 1', () => acked().includes(1));
    assert.deepEqual(submitted, ['{"command":"mark600","n":2}', '{"command":"mark600","n":1}']);
    assert.equal(store.getSetting(LAST_ORDER_SEQ_SETTING), '2');
    assert.equal(store.getSetting(APPLIED_ORDER_SEQS_SETTING), '[]');
    // Both redelivered (a sweep, a reconnect): acked again, neither runs twice.
    session.onFrame({ type: 'order', seq: 1, kind: 'add', message: '{"command":"mark600","n":1}' });
    session.onFrame({ type: 'order', seq: 2, kind: 'add', message: '{"command":"mark600","n":2}' });
    await turn();
    assert.equal(submitted.length, 2);
    assert.deepEqual(acked().slice(-2), [1, 2]);
  });

  test('an order that comes after more than 1,024 later ones still runs, once', async () => {
    const { session, sent, submitted, store, log } = setup();
    const acked = new Set<number>();
    const order = (seq: number): void => {
      session.onFrame({ type: 'order', seq, kind: 'add', message: `{"command":"mark600","n":${seq}}` });
    };
    // Order 1 is late (another node's sweep): 2..1026 come and run first, past the marks' cap.
    for (let seq = 2; seq <= 1026; seq++) {
      order(seq);
    }
    await until('the acks of 2..1026', () => {
      for (const f of sent.splice(0)) {
        if (f.type === 'ack') {
          acked.add(f.seq);
        }
      }
      return acked.size === 1025;
    });
    assert.equal(store.getSetting(LAST_ORDER_SEQ_SETTING), '1026', 'the floor passed the gap at 1');
    assert.equal(store.getSetting(MISSING_ORDER_SEQS_SETTING), '[1]');
    assert.ok(log.lines.some((l) => l.msg.includes('Order seqs 1..1 (1) have not arrived')));
    order(1);
    await until('the ack of 1', () => sent.some((f) => f.type === 'ack' && f.seq === 1));
    assert.equal(submitted.at(-1), '{"command":"mark600","n":1}', 'it ran, not only acked');
    assert.equal(store.getSetting(MISSING_ORDER_SEQS_SETTING), '[]');
    order(1); // redelivered: acked again, not run twice
    await turn();
    assert.equal(submitted.filter((m) => m.endsWith('"n":1}')).length, 1);
  });

  test("a welcome's settledThrough closes the gaps of orders that will never come", async () => {
    const { session, sent, store } = setup();
    session.onFrame({ type: 'order', seq: 3, kind: 'add', message: '{"command":"mark600"}' });
    await until('the ack of 3', () => sent.some((f) => f.type === 'ack' && f.seq === 3));
    assert.equal(store.getSetting(APPLIED_ORDER_SEQS_SETTING), '[3]');
    // A reconnect: orders 1 and 2 expired on the manager, nothing is queued below 4.
    session.disconnected();
    session.connected((f) => sent.push(f));
    session.onFrame({
      type: 'welcome',
      agentId: '001',
      lastExecutionId: 1,
      arConf: 'x - y - 0\n',
      settledThrough: 3,
    });
    assert.equal(store.getSetting(LAST_ORDER_SEQ_SETTING), '3');
    assert.equal(store.getSetting(APPLIED_ORDER_SEQS_SETTING), '[]');
    const hello = sent.filter((f) => f.type === 'hello').at(-1);
    assert.ok(hello?.type === 'hello');
    assert.equal(hello.lastOrderSeq, 0, 'the hello before the welcome still had the gap');
  });

  test('a message execd refuses is reported as rejected', async () => {
    const { session, sent } = setup({ refuse: true });
    session.onFrame({ type: 'order', seq: 4, kind: 'add', message: 'junk' });
    await until('the rejection', () => sent.at(-1)?.type === 'rejected');
    assert.deepEqual(sent.at(-1), {
      type: 'rejected',
      seq: 4,
      reason: 'execd refused the message (see its log)',
    });
  });

  test('an ar.conf that cannot be written is logged; the welcome goes on (active list sent, orders run)', async () => {
    const { session, sent, log, submitted } = setup({ installThrows: new Error('ENOSPC: no space left') });
    assert.deepEqual(
      sent.map((f) => f.type),
      ['hello', 'active-list'],
    );
    assert.ok(
      log.lines.some(
        (l) =>
          l.level === 'error' &&
          l.msg ===
            "Could not install the manager's ar.conf (ENOSPC: no space left): keeping the one in place.",
      ),
    );
    session.onFrame({ type: 'order', seq: 1, kind: 'add', message: '{}' });
    await until('the ack', () => sent.some((f) => f.type === 'ack' || f.type === 'acks'));
    assert.equal(submitted.length, 1);
  });

  test('an order execd throws on (its store failing) is acked and rejected with the reason', async () => {
    const { session, sent } = setup({ submitThrows: new Error('Cannot write "x": the disk is full') });
    session.onFrame({ type: 'order', seq: 5, kind: 'add', message: '{}' });
    await until('the rejection', () => sent.at(-1)?.type === 'rejected');
    assert.deepEqual(sent.slice(-2), [
      { type: 'ack', seq: 5 },
      { type: 'rejected', seq: 5, reason: 'the agent could not run it: Cannot write "x": the disk is full' },
    ]);
  });

  test('with active response disabled, orders are acked and rejected, never run', () => {
    const { session, sent, submitted } = setup({ disabled: true });
    // Synchronous: the rejection is sent before onFrame returns.
    session.onFrame({ type: 'order', seq: 1, kind: 'add', message: '{}' });
    assert.equal(submitted.length, 0);
    assert.deepEqual(sent.slice(-2), [
      { type: 'ack', seq: 1 },
      { type: 'rejected', seq: 1, reason: 'active response is disabled on this agent' },
    ]);
  });

  test('while an order runs, the reports of ended ones wait with their acks, then go in one run', async () => {
    const h = holdSetup(60_000);
    h.order(1, 'slow');
    h.order(2, 'fast');
    await until('order 2 marked applied', () => h.appliedAbove().includes(2));
    // Bounded wait for an absence (a slow machine only makes it pass more easily).
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(h.reported(), [], 'held while order 1 runs');
    assert.deepEqual(h.acked(), [], "order 2's ack held with its report");
    h.finishSlow();
    await until('the reports', () => h.reported().length === 2);
    const runs = h.sent.filter((f) => f.type === 'executions');
    assert.equal(runs.length, 1, 'one report run for both');
    assert.deepEqual(h.reportedSeqs(), [2, 1], 'oldest execution first');
    assert.deepEqual(h.sentTypes().slice(-2), ['acks', 'executions'], 'both acks just before the run');
    assert.deepEqual(h.acked().sort(), [1, 2]);
  });

  test('an ack held with its report is marked applied at once and never waits longer than the hold', async () => {
    const h = holdSetup(60_000);
    h.order(1, 'slow');
    h.order(2, 'fast');
    await until('order 2 marked applied', () => h.appliedAbove().includes(2));
    assert.deepEqual(h.acked(), []);
    // A redelivery of order 2 (a reconnect) is acked at once from the applied mark, never run again.
    h.order(2, 'fast');
    assert.deepEqual(h.acked(), [2]);
    const short = holdSetup(30);
    short.order(1, 'slow');
    short.order(2, 'fast');
    await until('the ack and report of order 2 while order 1 runs', () => short.reportedSeqs().includes(2));
    const ackAt = short.sent.findIndex((f) => f.type === 'ack' || f.type === 'acks');
    const reportAt = short.sent.findIndex((f) => f.type === 'execution' || f.type === 'executions');
    assert.ok(ackAt >= 0 && ackAt < reportAt, 'acked before its execution is reported');
    assert.deepEqual(short.acked(), [2]);
    short.finishSlow();
    await until('the report of order 1', () => short.reportedSeqs().includes(1));
    assert.deepEqual(short.acked(), [2, 1]);
  });

  test('a long run of ended executions is reported in runs of 1,000, each execution once', async () => {
    const h = holdSetup(60_000);
    const ids = h.recordMany(2_500);
    await until('every report', () => h.reported().length >= ids.length);
    await turn();
    assert.deepEqual(
      h.reported().map((i) => i.record.id),
      ids,
    );
    assert.ok(h.sent.filter((f) => f.type === 'executions').length >= 3);
  });

  test('a report waits no longer than the hold while an order keeps running', async () => {
    const h = holdSetup(30);
    h.order(1, 'slow');
    h.order(2, 'fast');
    await until('the report of order 2 while order 1 runs', () => h.reportedSeqs().includes(2));
    assert.ok(!h.acked().includes(1));
    h.finishSlow();
    await until('the report of order 1', () => h.reportedSeqs().includes(1));
  });
});

/** A session whose execd ends 'fast' orders at once and a 'slow' one when told; `holdMs` as given. */
function holdSetup(holdMs: number) {
  const store: AgentStore = tempAgentStore();
  let finish: (() => void) | undefined;
  const record = (): number => {
    const id = store.startExecution(markStart());
    store.endExecution(id, sampleEnd({ endedAt: 2 }));
    session.notifyExecution(id);
    return id;
  };
  const execd = {
    submit: (raw: string) =>
      raw === 'slow'
        ? new Promise<{ executionId: number; key: undefined; decision: 'started' }>((resolve) => {
            finish = () => {
              resolve({ executionId: record(), key: undefined, decision: 'started' });
            };
          })
        : Promise.resolve({ executionId: record(), key: undefined, decision: 'started' as const }),
    revert: () => Promise.resolve(undefined),
    listActive: () => store.listActive(),
  };
  const session = new AgentLinkSession({
    execd,
    store,
    log: memoryDaemonLog(),
    version: 't',
    disabled: false,
    installArConf: () => undefined,
    reportHoldMs: holdMs,
  });
  const sent: AgentFrame[] = [];
  session.connected((f) => sent.push(f));
  session.onFrame({ type: 'welcome', agentId: '001', lastExecutionId: 0, arConf: '', batches: true });
  const items = () =>
    sent.flatMap((f) => (f.type === 'executions' ? f.items : f.type === 'execution' ? [f] : []));
  return {
    sent,
    order: (seq: number, message: string) => {
      session.onFrame({ type: 'order', seq, kind: 'add', message });
    },
    finishSlow: () => finish?.(),
    recordMany: (n: number) => store.transaction(() => Array.from({ length: n }, record)),
    acked: () => sent.flatMap((f) => (f.type === 'ack' ? [f.seq] : f.type === 'acks' ? f.seqs : [])),
    sentTypes: () => sent.map((f) => f.type).filter((t) => t !== 'hello' && t !== 'active-list'),
    appliedAbove: () => JSON.parse(store.getSetting(APPLIED_ORDER_SEQS_SETTING) ?? '[]') as number[],
    reported: () => items(),
    reportedSeqs: () => items().map((i) => i.seq),
  };
}
