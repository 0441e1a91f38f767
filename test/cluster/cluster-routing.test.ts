/**
 * Two manager nodes in one process sharing one store, the bus and the lease on a private
 * PostgreSQL: an order stored on node
 * A for an agent whose link is on node B reaches the agent through B, promptly; an order stored
 * without any hand-off (a node killed between its commit and its publish) is re-sent by B's sweep;
 * only one node runs the timers; the agent counts as active on both nodes. A learns from B's
 * announcement on the bus that the agent is on B and routes its orders to B alone, and forgets
 * that once the agent's link on B closes. When an agent's hello reaches A while B still holds a
 * link of it (half-open: its close never reached B), B probes that link. A hand-off that reaches
 * B after its order's time to live is not sent to the agent, and the order expires in the store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expireDue, queueOrders } from '../../src/manager/order-delivery.js';
import type { AgentSession } from '../../src/manager/agent-sessions.js';
import { MARK_ALL_CONF, nodeAt as nodeOf, recordingSession, twoNodesInProcess } from './support/two-nodes.js';
import { waitFor } from '../manager/support/fleet.js';
import { agentRecord, newOrder } from '../contract/manager-store.fixtures.js';
import type { StoredOrder } from '../../src/core/orders/manager-store.js';

const nodes = twoNodesInProcess(MARK_ALL_CONF, 'riposte-cluster-routing-', {
  sweepEveryMs: 200,
  staleAfterMs: 300,
  leaseEveryMs: 200,
});
const { session, frames, orderSeqs } = recordingSession();

const nodeAt = (i: number): ReturnType<typeof nodeOf> => nodeOf(nodes, i);

test('an order stored on A reaches the agent held by B; a lost hand-off is re-sent by the sweep', async () => {
  const a = nodeAt(0);
  const b = nodeAt(1);
  const now = Date.now();
  await Promise.resolve(
    a.host.store.insertAgent({
      id: '001',
      name: 'web-01',
      fingerprint: 'AA:BB',
      registeredAt: now,
      removedAt: undefined,
      lastSeen: undefined,
      version: undefined,
      address: undefined,
      arDisabled: false,
    }),
  );
  b.host.handler.opened('001', session);
  b.host.handler.frame('001', session, { type: 'hello', version: 'test', lastOrderSeq: 0, disabled: false });
  await waitFor('welcome', 5_000, () => (frames.some((f) => f.type === 'welcome') ? true : undefined));
  // Ready once the queued orders were read and sent after the welcome (a store round trip later).
  await waitFor('ready on B', 5_000, () => (b.host.ctx.sessions.isReady('001') ? true : undefined));
  assert.equal(a.host.ctx.sessions.isConnected('001'), false);
  // B announced the hello on the bus: A routes 001's orders to B alone.
  await waitFor('A knows where 001 is', 5_000, () =>
    a.host.ctx.cluster?.busTraffic()?.routes === 1 ? true : undefined,
  );

  const t0 = Date.now();
  const [stored] = await Promise.resolve(
    queueOrders(a.host.ctx, [
      { agentId: '001', kind: 'add', source: 'api', arName: 'mark600', payload: '{"command":"add"}' },
    ]),
  );
  assert.ok(stored);
  await waitFor('order through B', 5_000, () => (orderSeqs().includes(stored.seq) ? true : undefined));
  assert.ok(Date.now() - t0 < 2_000, `hand-off took ${Date.now() - t0} ms`);
  assert.deepEqual(
    b.host.ctx.cluster?.busTraffic(),
    { routed: 1, broadcast: 0, forwarded: 0, routes: 0 },
    'routed to B alone',
  );

  // Stored with no hand-off at all (as if node A died right after its commit).
  const lost = await Promise.resolve(
    a.host.store.enqueueOrder({
      agentId: '001',
      kind: 'add',
      source: 'api',
      arName: 'mark600',
      key: undefined,
      alertId: undefined,
      payload: '{"command":"add","n":2}',
      createdAt: Date.now(),
      expiresAt: Date.now() + 60_000,
    }),
  );
  await waitFor('order re-sent by the sweep', 10_000, () =>
    orderSeqs().includes(lost.seq) ? true : undefined,
  );
  const agent = await Promise.resolve(a.host.store.getAgent('001'));
  assert.ok(agent);
  assert.equal(a.host.ctx.cluster?.connectedElsewhere({ ...agent, lastSeen: Date.now() }, Date.now()), true);

  // 001's link closes on B: B announces it, A forgets the route and hands off to every node again.
  b.host.handler.closed('001', session);
  await waitFor('A forgot 001', 5_000, () =>
    a.host.ctx.cluster?.busTraffic()?.routes === 0 ? true : undefined,
  );
});

test("an agent's hello on A while B holds a link of it: B probes that link", async () => {
  const a = nodeAt(0);
  const b = nodeAt(1);
  await Promise.resolve(a.host.store.insertAgent(agentRecord('002', { fingerprint: 'CC:DD' })));
  let probes = 0;
  const onB: AgentSession = { ...session, probe: () => probes++ };
  let probesOnA = 0;
  const onA: AgentSession = { ...session, probe: () => probesOnA++ };
  const hello = { type: 'hello', version: 'test', lastOrderSeq: 0, disabled: false } as const;
  b.host.handler.opened('002', onB);
  b.host.handler.frame('002', onB, hello);
  await waitFor('002 ready on B', 5_000, () => (b.host.ctx.sessions.isReady('002') ? true : undefined));
  await waitFor('A knows where 002 is', 5_000, () =>
    a.host.ctx.cluster?.busTraffic()?.routes === 1 ? true : undefined,
  );
  assert.equal(probes, 0, 'one link, nothing to check');
  a.host.handler.opened('002', onA);
  a.host.handler.frame('002', onA, hello);
  await waitFor("B's link of 002 probed", 5_000, () => (probes > 0 ? true : undefined));
  assert.equal(probesOnA, 0, 'the newer link, on A, is not probed');
  a.host.handler.closed('002', onA);
  b.host.handler.closed('002', onB);
});

test('one node runs the cluster timers', async () => {
  await waitFor('a leader', 10_000, () =>
    nodes.some((n) => n.host.ctx.cluster?.isLeader() === true) ? true : undefined,
  );
  assert.equal(nodes.filter((n) => n.host.ctx.cluster?.isLeader() === true).length, 1);
});

test('a hand-off arriving past its order’s time to live is not sent; the order expires in the store', async () => {
  const a = nodeAt(0);
  const b = nodeAt(1);
  await Promise.resolve(a.host.store.insertAgent(agentRecord('003', { fingerprint: 'EE:FF' })));
  const rec = recordingSession();
  b.host.handler.opened('003', rec.session);
  b.host.handler.frame('003', rec.session, {
    type: 'hello',
    version: 'test',
    lastOrderSeq: 0,
    disabled: false,
  });
  await waitFor('003 ready on B', 5_000, () => (b.host.ctx.sessions.isReady('003') ? true : undefined));
  // What a late bus message holds when it arrives (NATS replaying what B missed while away, or a
  // batch that waited out an outage in A's outbox): an order whose time to live is over by now.
  const now = Date.now();
  const order = (n: number, expiresAt: number): Promise<StoredOrder> =>
    Promise.resolve(
      a.host.store.enqueueOrder({
        ...newOrder({ agentId: '003', payload: `{"command":"add","n":${n}}` }),
        createdAt: now - 120_000,
        expiresAt,
      }),
    );
  const overdue = await order(1, now - 60_000);
  const live = await order(2, now + 600_000);
  const handed = (): number => {
    const t = b.host.ctx.cluster?.busTraffic();
    return (t?.routed ?? 0) + (t?.broadcast ?? 0);
  };
  const before = handed();
  a.host.ctx.cluster?.handOff([overdue, live]);
  // B counts a batch as it takes it, and sends what it sends of it before anything else runs.
  await waitFor('the batch on B', 5_000, () => (handed() >= before + 2 ? true : undefined));
  assert.ok(rec.orderSeqs().includes(live.seq), 'the live order is sent');
  assert.ok(!rec.orderSeqs().includes(overdue.seq), 'the overdue order is not');
  // B's sweep reads 003's queue (the overdue order is still queued there) and re-sends what it may:
  // an order stored with no hand-off shows that a sweep of 003 ran.
  const lost = await order(3, now + 600_000);
  await waitFor('the sweep through 003', 10_000, () =>
    rec.orderSeqs().includes(lost.seq) ? true : undefined,
  );
  assert.ok(!rec.orderSeqs().includes(overdue.seq), 'the sweep does not re-send the overdue order');
  // The expiry timer (the lease holder's, here called directly) marks it expired.
  assert.equal(await expireDue(a.host.ctx), 1);
  assert.equal((await Promise.resolve(a.host.store.getOrder('003', overdue.seq)))?.state, 'expired');
  b.host.handler.closed('003', rec.session);
});
