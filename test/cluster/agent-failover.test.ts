/**
 * An agent enrolled with several manager addresses (`--manager A,B`) fails over: real manager and
 * agent processes on loopback. The two managers are made to know the same agent and CA by starting
 * B from a copy of A's home (the shared-store cluster is tested in cluster-*.test.ts); this file
 * tests the agent's side: agent.json keeps both addresses, a kill -9 of the node the agent is on
 * makes it connect to the other within 10 s, and an order created there reaches it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import {
  alert,
  api,
  appendAlerts,
  installMark,
  makeDir,
  marks,
  removeDir,
  restartManager,
  startAgent,
  startManager,
  waitFor,
  type ManagerProc,
  type Proc,
} from '../manager/support/fleet.js';
import { enrollAgent } from './support/three-nodes.js';

const CONFIG = `<ossec_config>
  <command><name>mark</name><executable>mark</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>mark</command><location>all</location><rules_id>100003</rules_id><timeout>600</timeout></active-response>
</ossec_config>
`;

const root = makeDir('failover');
const conf = path.join(root, 'ossec.conf');
const homeA = path.join(root, 'node-a');
const homeB = path.join(root, 'node-b');
const agentHome = path.join(root, 'agent');
const alertsB = path.join(root, 'alerts-b.json');
let a: ManagerProc;
let b: ManagerProc | undefined;
let agent: Proc | undefined;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => {
        resolve(typeof addr === 'object' && addr !== null ? addr.port : 0);
      });
    });
    srv.on('error', reject);
  });
}

async function agentActiveOn(m: { port: number; home: string }): Promise<boolean> {
  const r = await api(m, 'GET', '/agents').catch(() => undefined);
  const items = (r?.body as { items?: { id: string; status: string }[] } | undefined)?.items ?? [];
  return items.some((x) => x.id === '001' && x.status === 'active');
}

before(async () => {
  writeFileSync(conf, CONFIG);
  writeFileSync(alertsB, '');
  a = await startManager(homeA, conf, ['--heartbeat', '1s']);
  const portB = await freePort();
  enrollAgent({
    home: agentHome,
    name: 'roamer',
    managers: `127.0.0.1:${a.port},127.0.0.1:${portB}`,
    passwordFile: path.join(homeA, 'etc', 'authd.pass'),
  });
  // Node B: A's CA and agent table (a stand-in for the shared store), its own port.
  await a.stop('SIGTERM');
  mkdirSync(path.join(homeB, 'var'), { recursive: true, mode: 0o750 });
  cpSync(path.join(homeA, 'etc'), path.join(homeB, 'etc'), { recursive: true });
  cpSync(path.join(homeA, 'var', 'manager.db'), path.join(homeB, 'var', 'manager.db'));
  a = await restartManager(a, conf, ['--heartbeat', '1s']);
  b = await restartManager({ ...a, home: homeB, port: portB }, conf, [
    '--heartbeat',
    '1s',
    '--alerts',
    alertsB,
  ]);
  installMark(homeB);
});

after(async () => {
  await agent?.stop();
  await b?.stop();
  await a.stop();
  removeDir(root);
});

test('agent.json keeps every manager address, in order', () => {
  const cfg = JSON.parse(readFileSync(path.join(agentHome, 'etc', 'pki', 'agent.json'), 'utf8')) as {
    manager: string;
    managers: string[];
  };
  assert.equal(cfg.manager, `127.0.0.1:${a.port}`);
  assert.deepEqual(cfg.managers, [`127.0.0.1:${a.port}`, `127.0.0.1:${b?.port ?? 0}`]);
});

test('kill -9 of its node: the agent is on the other node within 10 s and gets its orders', async () => {
  agent = await startAgent(agentHome);
  await waitFor('agent on node A', 20_000, async () => (await agentActiveOn(a)) || undefined);
  const node = b;
  assert.ok(node);
  const killedAt = Date.now();
  await a.stop('SIGKILL');
  await waitFor('agent on node B', 10_000, async () => (await agentActiveOn(node)) || undefined);
  const failoverMs = Date.now() - killedAt;
  assert.ok(failoverMs < 10_000, `failover took ${failoverMs} ms`);
  appendAlerts(alertsB, [alert('100003', '001', '192.0.2.77', 1)]);
  await waitFor('order from node B executed', 15_000, () =>
    marks(agentHome).includes('add 192.0.2.77') ? true : undefined,
  );
  assert.deepEqual(
    marks(agentHome).filter((l) => l === 'add 192.0.2.77'),
    ['add 192.0.2.77'],
  );
});
