/**
 * The agent link session's report runs (agent-link-session.ts) across what ends a connection or a
 * process:
 *
 * - a store read failing in a queued run (a timer's, not a frame handler's) is logged and ends
 *   the connection (the transport's `end`), never thrown into the event loop; on the next
 *   connection the execution is reported;
 * - an execution still running when a later one was reported, then interrupted by an agent
 *   restart, is reported after the restart although the manager's lastExecutionId is above it
 *   (the report floor kept in the agent store, report-floor.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentStore } from '../../src/core/execd/agent-store.js';
import { AgentLinkSession } from '../../src/link/agent-link-session.js';
import { memoryDaemonLog } from '../../src/log/daemon-log.js';
import type { AgentFrame, ManagerFrame } from '../../src/protocol/link.js';
import { sampleEnd, sampleStart } from '../contract/agent-store.fixtures.js';
import { tempAgentStore } from '../support/temp-agent-store.js';
import { waitFor } from './support/fleet.js';

function welcome(lastExecutionId: number): ManagerFrame {
  return { type: 'welcome', agentId: '001', lastExecutionId, arConf: '', batches: true };
}

function session(store: AgentStore, log = memoryDaemonLog()): AgentLinkSession {
  return new AgentLinkSession({
    execd: {
      submit: () => Promise.resolve(undefined),
      revert: () => Promise.resolve(undefined),
      listActive: () => [],
    },
    store,
    log,
    version: 't',
    disabled: false,
    installArConf: () => undefined,
    reportHoldMs: 0,
  });
}

/** The execution ids reported in `sent`, in order. */
function reported(sent: readonly AgentFrame[]): number[] {
  return sent.flatMap((f) => {
    if (f.type === 'execution') {
      return [f.record.id];
    }
    return f.type === 'executions' ? f.items.map((i) => i.record.id) : [];
  });
}

function endedExecution(store: AgentStore, key: string): number {
  const id = store.startExecution(sampleStart({ agentId: '001', key, startedAt: 1 }));
  store.endExecution(id, sampleEnd({ endedAt: 2 }));
  return id;
}

test('a store read failing in a queued report run ends the connection, never the agent', async (t) => {
  const store = tempAgentStore();
  const log = memoryDaemonLog();
  const s = session(store, log);
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown): void => {
    uncaught.push(err);
  };
  process.on('uncaughtException', onUncaught);
  t.after(() => process.off('uncaughtException', onUncaught));

  let ends = 0;
  s.connected(
    () => undefined,
    undefined,
    () => {
      ends++;
      s.disconnected(); // as the transport's close does
    },
  );
  s.onFrame(welcome(0));
  const read = t.mock.method(store, 'listEndedExecutionsAfter', () => {
    throw new Error('SQLITE_IOERR: disk I/O error');
  });
  const id = endedExecution(store, 'k1');
  s.notifyExecution(id); // execd's hook: a queued run reads the store
  await waitFor('the connection ended', 10_000, () => ends > 0 || uncaught.length > 0 || undefined);
  assert.deepEqual(uncaught, [], 'nothing thrown into the event loop');
  assert.equal(ends, 1);
  assert.ok(
    log.lines.some((l) => l.level === 'error' && /report run failed \(SQLITE_IOERR/.test(l.msg)),
    JSON.stringify(log.lines),
  );

  // The store answers again: the next connection reports the execution.
  read.mock.restore();
  const sent: AgentFrame[] = [];
  s.connected((f) => sent.push(f));
  s.onFrame(welcome(0));
  await waitFor('the execution reported', 10_000, () => reported(sent).includes(id) || undefined);
});

test('an execution running at an agent restart is reported after it, below lastExecutionId', async () => {
  const store = tempAgentStore();
  const slow = store.startExecution(sampleStart({ agentId: '001', key: 'k-slow', startedAt: 1 }));
  const fast = endedExecution(store, 'k-fast');

  const before: AgentFrame[] = [];
  const first = session(store);
  first.connected((f) => before.push(f));
  first.onFrame(welcome(0));
  await waitFor('the ended execution reported', 10_000, () => reported(before).includes(fast) || undefined);
  assert.ok(!reported(before).includes(slow), 'the running one waits');
  first.disconnected();

  // The agent restarts: execd's start marks the one still running failed ("interrupted").
  assert.deepEqual(
    store.failRunningExecutions(10).map((e) => e.id),
    [slow],
  );
  const after: AgentFrame[] = [];
  const second = session(store); // a new process: nothing in memory
  second.connected((f) => after.push(f));
  second.onFrame(welcome(fast)); // the manager holds `fast`: its highest id is above `slow`
  await waitFor(`execution ${slow} reported`, 10_000, () => reported(after).includes(slow) || undefined);
});
