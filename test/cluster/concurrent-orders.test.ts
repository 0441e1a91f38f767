/**
 * Two manager nodes on one private PostgreSQL store queue orders for the same agents at the same
 * time, in opposite agent orders (two alert batches ingested on two nodes): no transaction fails
 * (each takes the agents' seq-counter rows in one order, so they cannot deadlock), and every
 * agent's seqs are 1..n with no gap or duplicate. Found by bench/cluster-nodes.ts (ingest across
 * three nodes: "deadlock detected", the POST answered 500).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openManagerHost, type ManagerHost } from '../../src/runtime/manager-host.js';
import { queueOrders, type OrderRequest } from '../../src/manager/order-delivery.js';
import { startPgServer, type PgServer } from './support/pg-server.js';

const CONF = `<ossec_config>
  <command><name>mark</name><executable>mark</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>mark</command><location>local</location><rules_id>100004</rules_id><timeout>600</timeout></active-response>
</ossec_config>
`;
const AGENTS = 40;
const ROUNDS = 6;

let pgServer: PgServer;
const root = mkdtempSync(join(tmpdir(), 'riposte-concurrent-orders-'));
const hosts: ManagerHost[] = [];

before(async () => {
  pgServer = await startPgServer();
  writeFileSync(join(root, 'ossec.conf'), CONF);
  for (const name of ['a', 'b']) {
    hosts.push(
      await openManagerHost(
        { configPath: join(root, 'ossec.conf'), home: join(root, `home-${name}`), storeUrl: pgServer.url },
        false,
        `node-${name}`,
      ),
    );
  }
});

after(async () => {
  for (const h of hosts) {
    await Promise.resolve(h.store.close());
  }
  await pgServer.stop();
  rmSync(root, { recursive: true, force: true });
});

const ids = Array.from({ length: AGENTS }, (_, i) => String(i + 1).padStart(3, '0'));

function requests(agentIds: readonly string[], round: number): OrderRequest[] {
  return agentIds.map((agentId) => ({
    agentId,
    kind: 'add',
    source: 'alert',
    arName: 'mark600',
    payload: JSON.stringify({ command: 'add', round }),
  }));
}

test('concurrent order batches on two nodes, agents in opposite orders: all commit, seqs 1..n', async () => {
  const [a, b] = hosts;
  assert.ok(a && b);
  for (const id of ids) {
    await a.store.insertAgent({
      id,
      name: `agent-${id}`,
      fingerprint: `FP:${id}`,
      registeredAt: Date.now(),
      removedAt: undefined,
      lastSeen: undefined,
      version: undefined,
      address: undefined,
      arDisabled: false,
    });
  }
  const reversed = [...ids].reverse();
  const runs: Promise<unknown>[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    runs.push(queueOrders(a.ctx, requests(ids, r)), queueOrders(b.ctx, requests(reversed, r)));
  }
  const results = await Promise.allSettled(runs);
  const failed = results.filter((x) => x.status === 'rejected');
  assert.deepEqual(
    failed.map((x) => String(x.reason)),
    [],
    'every batch commits',
  );
  for (const id of ids) {
    const queued = await a.store.queuedOrders(id);
    const seqs: number[] = queued.map((o) => o.seq);
    assert.deepEqual(
      seqs,
      Array.from({ length: 2 * ROUNDS }, (_, i) => i + 1),
      `agent ${id}`,
    );
  }
});
