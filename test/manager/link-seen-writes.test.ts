/**
 * How often a connection writes its agent's row (link-handler.ts, link-frames.ts onHellos): once,
 * in the hello's transaction (last seen, address, version, AR state). The link's opening and the
 * hello frame as a sign of life write nothing more: on PostgreSQL each extra write of the row
 * raced the hello's transaction for the row lock (a failover of 1,666 agents spent 5 s waiting).
 * A link that never says hello has its last seen and address written when it closes; a greeted
 * link's close writes its last seen only (its address may be stale by then: the agent's newer link,
 * on another node, wrote its own).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ManagerHost } from '../../src/runtime/manager-host.js';
import type { AgentSession } from '../../src/manager/agent-sessions.js';
import type { AgentSeenOf } from '../../src/core/orders/manager-store.js';
import { agentRecord } from '../contract/manager-store.fixtures.js';
import { withManagerHost } from './support/manager-host.js';

async function withHost(fn: (host: ManagerHost, writes: AgentSeenOf[]) => Promise<void>): Promise<void> {
  await withManagerHost('riposte-seen-writes-', async (host) => {
    await host.store.insertAgent(agentRecord('001'));
    const writes: AgentSeenOf[] = [];
    const store = host.ctx.store;
    const write = store.updateAgentsSeen.bind(store);
    store.updateAgentsSeen = async (list) => {
      writes.push(...list);
      await write(list);
    };
    await fn(host, writes);
  });
}

const session = (address: string): AgentSession => ({
  address,
  send: () => undefined,
  close: () => undefined,
});

test("a connection and its hello write the agent's row once, with its address", async () => {
  await withHost(async (host, writes) => {
    const s = session('192.0.2.7');
    const before = Date.now();
    host.handler.opened('001', s);
    host.handler.frame('001', s, { type: 'hello', version: '9.8.7', lastOrderSeq: 0, disabled: false });
    await host.handler.drain();
    host.handler.seen('001'); // a pong after the hello, within the writer's 5 s period: no write
    await host.handler.drain();
    assert.equal(writes.length, 1, JSON.stringify(writes));
    assert.equal(writes[0]?.id, '001');
    assert.equal(writes[0]?.seen.address, '192.0.2.7');
    assert.equal(writes[0]?.seen.version, '9.8.7');
    const agent = await host.store.getAgent('001');
    assert.equal(agent?.address, '192.0.2.7');
    assert.ok(agent?.lastSeen !== undefined && agent.lastSeen >= before);

    // The greeted link closes: its last seen, not its address.
    host.handler.closed('001', s);
    await host.handler.drain();
    assert.equal(writes.length, 2);
    assert.equal(writes[1]?.seen.address, undefined);
  });
});

test('a link that never says hello has its last seen and address written when it closes', async () => {
  await withHost(async (host, writes) => {
    const s = session('192.0.2.9');
    host.handler.opened('001', s);
    await host.handler.drain();
    assert.equal(writes.length, 0, 'nothing at the opening');
    const closedAt = Date.now();
    host.handler.closed('001', s);
    await host.handler.drain();
    assert.equal(writes.length, 1);
    const agent = await host.store.getAgent('001');
    assert.equal(agent?.address, '192.0.2.9');
    assert.ok(agent?.lastSeen !== undefined && agent.lastSeen >= closedAt);
  });
});
