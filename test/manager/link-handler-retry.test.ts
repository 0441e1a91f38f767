/**
 * Link frames the store could not take (link-handler.ts frameBatcher): the part rolls back and its
 * agents are asked to reconnect (AgentSession.retry: the WebSocket link closes with 1013) and
 * re-send, here a hello lost to a store outage; on the reconnect the hello is applied and welcomed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentSession } from '../../src/manager/agent-sessions.js';
import type { ManagerFrame } from '../../src/protocol/link.js';
import { agentRecord } from '../contract/manager-store.fixtures.js';
import { withManagerHost } from './support/manager-host.js';
import type { ManagerHost } from '../../src/runtime/manager-host.js';
import { connectInProcess } from '../../src/link/in-process-link.js';
import { AgentLinkSession } from '../../src/link/agent-link-session.js';
import { tempAgentStore } from '../support/temp-agent-store.js';
import { memoryDaemonLog } from '../../src/log/daemon-log.js';
import { waitFor } from './support/fleet.js';
import { executionFrame } from './support/backpressure.js';

const hello = { type: 'hello', version: '1.2.3', lastOrderSeq: 0, disabled: false, batches: true } as const;

/** The host store refuses its first batch with `message`; returns how many batches were tried. */
function refuseFirstBatch(host: ManagerHost, message: string): () => number {
  const store = host.ctx.store;
  const batch = store.batch.bind(store);
  let tried = 0;
  store.batch = (fn) => (++tried === 1 ? Promise.reject(new Error(message)) : batch(fn));
  return () => tried;
}

test('frames the store refused: their agents are asked to reconnect; the re-sent hello is welcomed', async () => {
  await withManagerHost('riposte-link-retry-', async (host) => {
    await host.store.insertAgent(agentRecord('001'));
    refuseFirstBatch(host, 'the database system is shutting down');
    const sent: ManagerFrame[] = [];
    const types = (): string[] => sent.map((f) => f.type);
    let retried = 0;
    const first: AgentSession = {
      address: '127.0.0.1',
      send: (f) => sent.push(f),
      close: () => undefined,
      retry: () => {
        retried++;
      },
    };
    host.handler.opened('001', first);
    host.handler.frame('001', first, hello);
    await host.handler.drain();
    assert.equal(retried, 1, 'asked to reconnect');
    assert.deepEqual(types(), [], 'no welcome for a hello that was not applied');
    // The agent reconnects (the old session's close arrives, then the new one opens) and re-sends.
    host.handler.closed('001', first);
    const second: AgentSession = {
      address: '127.0.0.1',
      send: (f) => sent.push(f),
      close: () => undefined,
    };
    host.handler.opened('001', second);
    host.handler.frame('001', second, hello);
    await host.handler.drain();
    assert.deepEqual(types(), ['welcome']);
    assert.equal((await host.store.getAgent('001'))?.version, '1.2.3');
    assert.equal(retried, 1);
  });
});

test('a second hello on one connection closes it (4400): each would send the whole queue again', async () => {
  await withManagerHost('riposte-link-hello-', async (host) => {
    await host.store.insertAgent(agentRecord('001'));
    const sent: ManagerFrame[] = [];
    const closes: number[] = [];
    const session: AgentSession = {
      address: '127.0.0.1',
      send: (f) => sent.push(f),
      close: (code) => closes.push(code),
    };
    host.handler.opened('001', session);
    host.handler.frame('001', session, hello);
    await host.handler.drain();
    assert.deepEqual(
      sent.map((f) => f.type),
      ['welcome'],
    );
    host.handler.frame('001', session, hello);
    await host.handler.drain();
    assert.deepEqual(closes, [4400]);
    assert.deepEqual(
      sent.map((f) => f.type),
      ['welcome'],
      'no second welcome',
    );
  });
});

test("the manager's own agent 000 whose hello the store refused reconnects and is welcomed", async () => {
  await withManagerHost('riposte-link-local-retry-', async (host) => {
    await host.store.insertAgent(agentRecord('000'));
    const batches = refuseFirstBatch(host, 'database is locked');
    const agentStore = tempAgentStore();
    const session = new AgentLinkSession({
      execd: {
        submit: () => Promise.resolve(undefined),
        revert: () => Promise.resolve(undefined),
        listActive: () => agentStore.listActive(),
      },
      store: agentStore,
      log: memoryDaemonLog(),
      version: 'test',
      disabled: false,
      installArConf: () => undefined,
    });
    const link = connectInProcess(host.handler, '000', session, { retryMs: 50 });
    try {
      // Before, its one hello was lost with the failed part and it waited for a welcome forever.
      await waitFor(
        'agent 000 ready on a new session',
        10_000,
        () => host.ctx.sessions.isReady('000') || undefined,
      );
      assert.ok(batches() >= 2, 'the store refused a part (the first hello) before');
    } finally {
      link.close();
      await host.handler.drain();
    }
  });
});

test('what a part that rolled back did is never told to listeners; its frames re-sent are, once', async () => {
  await withManagerHost('riposte-link-rollback-', async (host) => {
    await host.store.insertAgent(agentRecord('001'));
    const store = host.ctx.store;
    const batch = store.batch.bind(store);
    let failNext = false;
    // The part runs, then its transaction fails to commit (a serialization failure, say).
    store.batch = (fn) => {
      if (!failNext) {
        return batch(fn);
      }
      failNext = false;
      return batch(async (tx) => {
        await fn(tx);
        throw new Error('could not serialize access due to concurrent update');
      });
    };
    const told: string[] = [];
    host.listeners.add((e) => {
      if (e.type === 'execution') {
        told.push(`${e.agentId}/${e.execution.id}`);
      }
    });
    let retried = 0;
    const session = (): AgentSession => ({
      address: '127.0.0.1',
      send: () => undefined,
      close: () => undefined,
      retry: () => {
        retried++;
      },
    });
    const first = session();
    host.handler.opened('001', first);
    host.handler.frame('001', first, hello);
    await host.handler.drain();
    failNext = true;
    host.handler.frame('001', first, executionFrame(7));
    await host.handler.drain();
    assert.equal(retried, 1, 'asked to re-send');
    assert.equal(await host.store.lastExecutionId('001'), 0, 'rolled back');
    assert.deepEqual(told, [], 'an execution that was not stored is not told');
    host.handler.closed('001', first);
    const second = session();
    host.handler.opened('001', second);
    host.handler.frame('001', second, hello);
    host.handler.frame('001', second, executionFrame(7));
    await host.handler.drain();
    assert.equal(await host.store.lastExecutionId('001'), 7);
    assert.deepEqual(told, ['001/7'], 'told once, once stored');
  });
});
