/**
 * A cluster node that loses the store while its agents stay connected (its network to PostgreSQL
 * cut, silently: no FIN, no RST) cannot see the orders other nodes store for them: once no sweep
 * has succeeded for `storeLostAfterMs`, it asks its agents to reconnect (1013, to another node),
 * instead of keeping them on a link that looks healthy. One in-process node whose store, bus and
 * lease all go through a TCP proxy the test cuts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openManagerHost, type ManagerHost } from '../../src/runtime/manager-host.js';
import { createClusterNode, type ClusterNode } from '../../src/runtime/cluster-node.js';
import { BUS_KEY_SETTING, newBusKey } from '../../src/cluster/bus-seal.js';
import type { AgentSession } from '../../src/manager/agent-sessions.js';
import type { ManagerFrame } from '../../src/protocol/link.js';
import { startPgServer, type PgServer } from './support/pg-server.js';
import { startTcpProxy, throughProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../manager/support/fleet.js';
import { addAgent } from '../contract/manager-store.fixtures.js';

const CONF = `<ossec_config>
  <command><name>mark</name><executable>mark</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>mark</command><location>all</location><rules_id>100003</rules_id><timeout>600</timeout></active-response>
</ossec_config>
`;

const root = mkdtempSync(join(tmpdir(), 'riposte-store-lost-'));
let pgServer: PgServer;
let proxy: TcpProxy;
let cluster: ClusterNode;
let host: ManagerHost;

before(async () => {
  pgServer = await startPgServer();
  proxy = await startTcpProxy(Number(new URL(pgServer.url).port));
  writeFileSync(join(root, 'ossec.conf'), CONF);
  const storeUrl = throughProxy(pgServer.url, proxy);
  cluster = createClusterNode(
    { storeUrl, bus: 'postgres', sweepEveryMs: 200, storeLostAfterMs: 5_000 },
    1_000,
  );
  host = await openManagerHost(
    { configPath: join(root, 'ossec.conf'), home: join(root, 'home'), storeUrl },
    false,
    'node-a',
    cluster.hooks,
  );
  // A node's start-up step (shareEnrollment) puts the cluster's bus key in the store first.
  await host.ctx.store.setSetting(BUS_KEY_SETTING, newBusKey());
  await cluster.attach(host.ctx);
});

after(async () => {
  await proxy.close(); // ends the cut connections: what waited on them fails, nothing hangs
  await cluster.stop();
  await Promise.resolve(host.store.close());
  await pgServer.stop();
  rmSync(root, { recursive: true, force: true });
});

test('a node cut off from the store asks its agents to reconnect to another node', async () => {
  assert.equal(await addAgent(host.store, 'web-01', 'AA:BB', Date.now()), '001');
  const frames: ManagerFrame[] = [];
  let retries = 0;
  const session: AgentSession = {
    send: (f) => {
      frames.push(f);
    },
    close: () => undefined,
    retry: () => {
      retries++;
    },
    address: '127.0.0.1',
  };
  host.handler.opened('001', session);
  host.handler.frame('001', session, { type: 'hello', version: 'test', lastOrderSeq: 0, disabled: false });
  await waitFor('ready', 10_000, () => (host.ctx.sessions.isReady('001') ? true : undefined));
  // Sweeps succeed while the store answers: the agent stays, for 30 sweeps (past storeLostAfterMs).
  const store = host.ctx.store;
  const read = store.queuedOrdersOf.bind(store);
  let swept = 0;
  store.queuedOrdersOf = async (ids, before) => {
    const got = await read(ids, before);
    swept++;
    return got;
  };
  const from = Date.now();
  await waitFor('30 sweeps', 20_000, () => (swept >= 30 ? true : undefined));
  assert.ok(Date.now() - from >= 5_000, 'the sweeps took longer than storeLostAfterMs');
  assert.equal(retries, 0, 'not sent away while the store answers');
  assert.equal(host.ctx.sessions.isReady('001'), true);

  proxy.cut();
  await waitFor('the agent asked to reconnect', 20_000, () => (retries > 0 ? true : undefined));
  assert.equal(retries, 1);
  assert.equal(host.ctx.sessions.isConnected('001'), false, 'its session is gone from this node');
  const log = readFileSync(join(root, 'home', 'logs', 'riposte.log'), 'utf8');
  assert.match(log, /no answer from the store for 5 s; 1 agent\(s\) asked to reconnect to another node/);
});
