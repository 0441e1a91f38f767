/**
 * What the manager records from the two agent frames that settle orders without an execution
 * report: `rejected` (the agent could not run an accepted order at all: a revert of a key it no
 * longer holds, say) and the `active-list` sent after each hello (a key the manager held that the
 * agent no longer lists was reverted while the link was down). A real manager host (SQLite) and a
 * real agent link session with a real Execd (fake script runner) over the in-process link.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connectInProcess, type InProcessLink } from '../../src/link/in-process-link.js';
import { queueOrders } from '../../src/manager/order-delivery.js';
import type { AgentFrame } from '../../src/protocol/link.js';
import type { StoredOrder } from '../../src/core/orders/manager-store.js';
import type { ManagerHost } from '../../src/runtime/manager-host.js';
import type { ManagerEvent } from '../../src/manager/manager-service.js';
import { withManagerHost } from './support/manager-host.js';
import { waitFor } from './support/fleet.js';
import { turn } from '../support/event-turns.js';
import { execdLinkSession, recordSentFrames } from '../support/link-session.js';
import { agentRecord } from '../contract/manager-store.fixtures.js';
import { arMessage, harness } from '../unit/agent/execd-fixture.js';

const IP = '203.0.113.45';
const KEY = `firewall-drop-${IP}`;

/** `probe`'s first answer (not undefined or false) once the manager applied the frames it got (10 s). */
function afterDrain<T>(
  host: ManagerHost,
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
): Promise<T> {
  return waitFor(what, 10_000, async () => {
    await host.handler.drain();
    return probe();
  });
}

/**
 * Agent 001 with a real Execd, linked to `host`; `sent` collects its frames, `connect` (re)links
 * it, `toManager` sends a frame of the test's own on the current link.
 */
function agent001(host: ManagerHost): {
  h: ReturnType<typeof harness>;
  sent: AgentFrame[];
  connect: () => InProcessLink;
  toManager: (f: AgentFrame) => void;
} {
  const h = harness();
  const session = execdLinkSession(h, 0);
  let link: ((f: AgentFrame) => void) | undefined;
  const connected = session.connected.bind(session);
  session.connected = (send) => {
    link = send;
    connected(send);
  };
  const sent = recordSentFrames(session);
  return {
    h,
    sent,
    connect: () => connectInProcess(host.handler, '001', session),
    toManager: (f) => {
      assert.ok(link, 'linked');
      link(f);
    },
  };
}

/** The order (001, seq) once it is in `state`. */
function orderIn(host: ManagerHost, seq: number, state: StoredOrder['state']): Promise<StoredOrder> {
  return afterDrain(host, `order ${seq} ${state}`, async () => {
    const o = await host.store.getOrder('001', seq);
    return o?.state === state ? o : undefined;
  });
}

/** Order-state events of agent 001, in emission order. */
function orderEvents(host: ManagerHost): [number, string][] {
  const seen: [number, string][] = [];
  host.listeners.add((e: ManagerEvent) => {
    if (e.type === 'order-state' && e.agentId === '001') {
      seen.push([e.seq, e.state]);
    }
  });
  return seen;
}

/** Queues one order for agent 001 through the manager's own path (stored, then sent); its seq. */
async function order(host: ManagerHost, kind: 'add' | 'revert', payload: string): Promise<number> {
  const [stored] = await queueOrders(host.ctx, [
    kind === 'add'
      ? { agentId: '001', kind, source: 'alert', arName: 'firewall-drop600', payload }
      : { agentId: '001', kind, source: 'revert', key: payload, payload },
  ]);
  assert.ok(stored);
  return stored.seq;
}

describe('manager: orders settled by rejected and active-list frames', () => {
  test('a revert order the agent finds nothing for ends executed, failed, with the agent reason', async () => {
    await withManagerHost('riposte-outcome-rejected-', async (host) => {
      await host.store.insertAgent(agentRecord('001'));
      const events = orderEvents(host);
      const { sent, connect, toManager } = agent001(host);
      const link = connect();
      try {
        await afterDrain(host, 'the hello', () => sent.some((f) => f.type === 'active-list'));
        const seq = await order(host, 'revert', KEY);
        const done = await orderIn(host, seq, 'executed');
        assert.equal(done.outcome, 'failed');
        assert.equal(done.note, `no active response "${KEY}"`);
        assert.equal(typeof done.executedAt, 'number');
        assert.equal(done.executionId, undefined, 'no execution ran');
        assert.deepEqual(
          events.filter(([s]) => s === seq).map(([, state]) => state),
          ['queued', 'delivered', 'executed'],
        );
        // Rejected again (a duplicate frame after a reconnect, say): nothing changes, nothing is told.
        const before = events.length;
        toManager({ type: 'rejected', seq, reason: 'again' });
        await turn(); // the in-process link hands it to the manager then (setImmediate)
        await host.handler.drain();
        assert.deepEqual(await host.store.getOrder('001', seq), done);
        assert.equal(events.length, before);
      } finally {
        link.close();
        await host.handler.drain();
      }
    });
  });

  test('a key missing from the active list after a reconnect: its add order becomes reverted, the key leaves the list', async () => {
    await withManagerHost('riposte-outcome-active-list-', async (host) => {
      await host.store.insertAgent(agentRecord('001'));
      const events = orderEvents(host);
      const { h, sent, connect } = agent001(host);
      let link = connect();
      try {
        const seq = await order(host, 'add', JSON.stringify(arMessage('firewall-drop600', IP)));
        const executed = await orderIn(host, seq, 'executed');
        assert.equal(executed.outcome, 'ok');
        assert.deepEqual(
          (await host.store.listActive('001')).map((a) => a.key),
          [KEY],
        );
        // While the link is down the response leaves the agent (an operator on the agent host).
        link.close();
        assert.ok(h.store.deleteActive(KEY));
        const hellos = sent.filter((f) => f.type === 'hello').length;
        link = connect();
        await afterDrain(
          host,
          'the second hello',
          () => sent.filter((f) => f.type === 'hello').length > hellos,
        );
        const reverted = await orderIn(host, seq, 'reverted');
        assert.equal(typeof reverted.revertedAt, 'number');
        assert.equal(reverted.outcome, 'ok', 'the add kept its outcome');
        assert.deepEqual(await host.store.listActive('001'), []);
        assert.deepEqual(
          events.filter(([s]) => s === seq).map(([, state]) => state),
          ['queued', 'delivered', 'executed', 'reverted'],
        );
      } finally {
        link.close();
        await host.handler.drain();
      }
    });
  });
});
