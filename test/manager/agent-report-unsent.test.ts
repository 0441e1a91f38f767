/**
 * The agent's report runs and its transport's unsent bytes (agent-link-session.ts,
 * REPORT_UNSENT_MAX_BYTES): while the transport holds more than the bound (a manager that does not
 * read), a run reads nothing from the store and sends no report; acks keep going (a held one once
 * its hold is over). Once the transport has taken what waited, every execution left is reported,
 * each once, in order.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { REPORT_RUN_MAX, REPORT_UNSENT_MAX_BYTES } from '../../src/link/agent-link-session.js';
import { tempAgentStore } from '../support/temp-agent-store.js';
import { testLinkSession } from '../support/link-session.js';
import type { AgentFrame, ExecutionItem } from '../../src/protocol/link.js';
import type { AgentStore } from '../../src/core/execd/agent-store.js';
import { sampleEnd, sampleStart } from '../contract/agent-store.fixtures.js';
import { waitFor } from './support/fleet.js';

/** A transport whose unsent byte count the test sets; counts how often the session asked it. */
interface Transport {
  readonly sent: AgentFrame[];
  unsent: number;
  asked: number;
  /** Each report frame sent fills it past the bound (a manager that does not read). */
  fills?: boolean;
}

/** An ended execution in `store` (agent 001's `mark`), its id. */
function recordEnded(store: AgentStore): number {
  const id = store.startExecution(sampleStart({ arName: 'mark600', agentId: '001', startedAt: 1 }));
  store.endExecution(id, sampleEnd({ endedAt: 2 }));
  return id;
}

/**
 * A session on `store` whose execd records an ended execution for an order `fast`, and refuses any
 * other; its transport as `Transport`, welcomed (batch frames) at once.
 */
function connect(t: TestContext, store: AgentStore, transport: Transport, reportHoldMs?: number) {
  const reads = t.mock.method(store, 'listEndedExecutionsAfter');
  const submit = (raw: string) => {
    if (raw !== 'fast') {
      return Promise.resolve(undefined);
    }
    const executionId = recordEnded(store);
    session.notifyExecution(executionId);
    return Promise.resolve({ executionId, key: undefined, decision: 'started' as const });
  };
  const session = testLinkSession(store, submit, reportHoldMs);
  session.connected(
    (f) => {
      transport.sent.push(f);
      if (transport.fills === true && f.type === 'executions') {
        transport.unsent = REPORT_UNSENT_MAX_BYTES + 1;
      }
    },
    () => {
      transport.asked++;
      return transport.unsent;
    },
  );
  session.onFrame({ type: 'welcome', agentId: '001', lastExecutionId: 0, arConf: '', batches: true });
  const items = (): ExecutionItem[] =>
    transport.sent.flatMap((f) => (f.type === 'executions' ? f.items : f.type === 'execution' ? [f] : []));
  return {
    session,
    /** Store reads of executions recorded since the cursor (one a page). */
    reads: () => reads.mock.callCount(),
    reportedIds: () => items().map((i) => i.record.id),
    reportedSeqs: () => items().map((i) => i.seq),
    acked: () =>
      transport.sent.flatMap((f) => (f.type === 'ack' ? [f.seq] : f.type === 'acks' ? f.seqs : [])),
  };
}

test('above the unsent bound no executions are read or reported; once it drops, every one once', async (t) => {
  const store = tempAgentStore();
  const total = 2 * REPORT_RUN_MAX + 500;
  const ids = store.transaction(() => Array.from({ length: total }, () => recordEnded(store)));
  // The transport fills up with the first run's reports (the manager does not read).
  const transport: Transport = { sent: [], unsent: 0, asked: 0, fills: true };
  const s = connect(t, store, transport);
  assert.equal(s.reportedIds().length, REPORT_RUN_MAX, 'the first run: the transport was empty');
  const readsThen = s.reads();
  const askedThen = transport.asked;
  // Three runs that found the transport full (the next run is due on the next turn, then each
  // FLUSH_INTERVAL_MS): none may have read or sent anything.
  await waitFor(
    'three runs deferred (or a report past the first run)',
    5_000,
    () => transport.asked >= askedThen + 3 || s.reportedIds().length > REPORT_RUN_MAX || undefined,
  );
  assert.equal(s.reads(), readsThen, 'the store was not read further');
  assert.deepEqual(s.reportedIds(), ids.slice(0, REPORT_RUN_MAX), 'no report past the first run');
  // The manager reads again: the transport empties and stays so.
  transport.fills = false;
  transport.unsent = 0;
  await waitFor('every execution reported', 5_000, () => s.reportedIds().length >= total || undefined);
  await new Promise((r) => setImmediate(r)); // a (wrong) duplicate run would surface here
  assert.deepEqual(s.reportedIds(), ids, 'every execution once, in order, none lost');
  s.session.disconnected();
});

test('above the unsent bound acks still go: at once with nothing to report, a held one after its hold', async (t) => {
  const transport: Transport = { sent: [], unsent: REPORT_UNSENT_MAX_BYTES + 1, asked: 0 };
  const s = connect(t, tempAgentStore(), transport, 30);
  s.session.onFrame({ type: 'order', seq: 1, kind: 'add', message: 'refused' });
  s.session.onFrame({ type: 'order', seq: 2, kind: 'add', message: 'fast' });
  await waitFor('the ack of the refused order', 5_000, () => s.acked().includes(1) || undefined);
  assert.ok(transport.sent.some((f) => f.type === 'rejected' && f.seq === 1));
  // Order 2's ack is held with its report, which waits: it goes alone once the 30 ms hold is over.
  await waitFor('the ack of order 2, past its hold', 5_000, () => s.acked().includes(2) || undefined);
  assert.deepEqual(s.reportedIds(), [], 'no report while the transport is full');
  assert.equal(s.reads(), 0, 'the store was not read for reports');
  transport.unsent = 0;
  await waitFor('the report of order 2', 5_000, () => s.reportedSeqs().includes(2) || undefined);
  assert.deepEqual(s.reportedSeqs(), [2]);
  assert.deepEqual(s.acked(), [1, 2], 'each ack once');
  s.session.disconnected();
});
