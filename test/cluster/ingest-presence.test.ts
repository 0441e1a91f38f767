/**
 * A cluster node reuses its read of the agents' presence for ingest for up to PRESENCE_REUSE_MS
 * (src/manager/ingest-alerts.ts; concurrent ingests share one read), and stays exact where it
 * matters whether or not the read was reused (on a slow machine it may not be): an agent enrolled on another
 * node a moment ago (after the read) still gets its order, since a target missing from a reused
 * read is looked up again before it is reported (1320); an agent removed on this node is not
 * targeted by this node's next ingest; an unknown agent is still reported. The known agents built
 * from a reused read are reused too, but never across a link opened or closed on the node: an agent
 * that connects between two ingests is an active target (`all`) of the second, one that
 * disconnected is not. Two nodes in one process sharing a private PostgreSQL, like cluster-routing.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ingestAlerts } from '../../src/manager/ingest-alerts.js';
import { createManagerService } from '../../src/manager/manager-core.js';
import type { ManagerEvent } from '../../src/manager/manager-service.js';
import { twoNodesInProcess } from './support/two-nodes.js';
import { agentRecord } from '../contract/manager-store.fixtures.js';

const CONF = `<ossec_config>
  <command><name>mark</name><executable>mark</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>mark</command><location>local</location><rules_id>100004</rules_id><timeout>600</timeout></active-response>
  <active-response><command>mark</command><location>all</location><rules_id>100003</rules_id><timeout>600</timeout></active-response>
  <command><name>mark2</name><executable>mark</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>mark2</command><location>local</location><rules_id>100005</rules_id></active-response>
</ossec_config>
`;

const nodes = twoNodesInProcess(CONF, 'riposte-ingest-presence-');

const alert = (id: string, agent: string, rule = '100004'): string =>
  JSON.stringify({
    id,
    rule: { level: 10, id: rule },
    agent: { id: agent },
    data: { srcip: '198.18.0.9' },
  });

test('a reused presence read still finds a just-enrolled agent; a removed or unknown one is reported', async () => {
  const a = nodes[0]?.host;
  const b = nodes[1]?.host;
  assert.ok(a !== undefined && b !== undefined);
  await a.store.insertAgent(agentRecord('001'));
  // Concurrent ingests share one read (counted through the store's own method).
  let reads = 0;
  const read = a.store.agentPresence.bind(a.store);
  a.store.agentPresence = () => {
    reads++;
    return read();
  };
  const first = await Promise.all([ingestAlerts(a.ctx, [alert('p-1', '001')]), ingestAlerts(a.ctx, [])]);
  assert.equal(first[0].orders, 1);
  assert.equal(reads, 1);

  // Enrolled through the other node after node A's read: A's next ingest reuses that read.
  await b.store.insertAgent(agentRecord('002'));
  const second = await ingestAlerts(a.ctx, [alert('p-2', '002'), alert('p-3', '001')]);
  assert.deepEqual(second.errors, []);
  assert.equal(second.orders, 2);
  assert.deepEqual(
    (await a.store.queuedOrders('002')).map((o) => o.alertId),
    ['p-2'],
  );

  const unknown = await ingestAlerts(a.ctx, [alert('p-4', '999')]);
  assert.equal(unknown.orders, 0);
  assert.equal(unknown.errors.length, 1);
  assert.match(unknown.errors[0] ?? '', /^\(1320\): Agent '999' not found/);

  const service = createManagerService({
    ctx: a.ctx,
    enrollment: undefined,
    listeners: new Set(),
    startedAt: 0,
  });
  await service.removeAgent('001');
  const removed = await ingestAlerts(a.ctx, [alert('p-5', '001')]);
  assert.equal(removed.orders, 0);
  assert.equal(removed.errors.length, 1);
  assert.match(removed.errors[0] ?? '', /Agent '001' not found/);
});

test('with a reused read, a link opened or closed on the node between two ingests changes the active targets', async () => {
  const a = nodes[0]?.host;
  assert.ok(a !== undefined);
  await a.store.insertAgent(agentRecord('011')); // never seen: active only while connected
  const sent: string[] = [];
  const session = {
    address: '127.0.0.1',
    send: (f: { type: string }) => {
      sent.push(f.type);
    },
    close: () => undefined,
  };
  // An order for 011 first: a reused read without it is read again, so the reads below hold it.
  assert.equal((await ingestAlerts(a.ctx, [alert('q-0', '011')])).orders, 1);
  const before = await ingestAlerts(a.ctx, [alert('q-1', '000', '100003')]);
  assert.equal(before.orders, 0); // no active agent
  a.ctx.sessions.attach('011', session);
  a.ctx.sessions.markReady('011'); // its hello applied: orders are sent to it
  const connected = await ingestAlerts(a.ctx, [alert('q-2', '000', '100003')]);
  assert.equal(connected.orders, 1);
  assert.deepEqual(sent, ['order']);
  assert.deepEqual(
    (await a.store.queuedOrders('011')).map((o) => o.alertId),
    ['q-0', 'q-2'],
  );
  assert.equal(a.ctx.sessions.detach('011', session), true);
  const gone = await ingestAlerts(a.ctx, [alert('q-3', '000', '100003')]);
  assert.equal(gone.orders, 0);
});

test('an ingest batch counts its fired responses per AR command, once the orders are queued', async () => {
  const a = nodes[0]?.host;
  assert.ok(a !== undefined);
  await a.store.insertAgent(agentRecord('021'));
  await a.store.insertAgent(agentRecord('022'));
  const events: ManagerEvent[] = [];
  const listener = (e: ManagerEvent): void => {
    events.push(e);
  };
  a.listeners.add(listener);
  try {
    const summary = await ingestAlerts(a.ctx, [
      alert('r-1', '021'),
      alert('r-2', '022', '100005'),
      alert('r-3', '022'),
      alert('r-4', '999', '100005'), // unknown agent: no order, not counted
      'not json',
    ]);
    assert.equal(summary.orders, 3);
    assert.equal(summary.invalid, 1);
  } finally {
    a.listeners.delete(listener);
  }
  const fired = events.flatMap((e) => (e.type === 'response-fired' ? [[e.command, e.count] as const] : []));
  // An AR's name is its command and timeout, as Wazuh's (mark + 600; mark2 + 0).
  assert.deepEqual(
    fired.sort(([x], [y]) => x.localeCompare(y)),
    [
      ['mark20', 1],
      ['mark600', 2],
    ],
  );
  assert.deepEqual(
    events.filter((e) => e.type === 'alert-ingested'),
    [{ type: 'alert-ingested', count: 4 }],
  );
});
