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

const hello = { type: 'hello', version: '1.2.3', lastOrderSeq: 0, disabled: false, batches: true } as const;

test('frames the store refused: their agents are asked to reconnect; the re-sent hello is welcomed', async () => {
  await withManagerHost('riposte-link-retry-', async (host) => {
    await host.store.insertAgent(agentRecord('001'));
    const store = host.ctx.store;
    const batch = store.batch.bind(store);
    let failures = 1;
    store.batch = (fn) =>
      failures-- > 0 ? Promise.reject(new Error('the database system is shutting down')) : batch(fn);
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
