/**
 * A real manager process and three real agent processes on loopback: enrollment, every location,
 * an offline agent's orders delivered in order on reconnect, revert from the API, an agent restart
 * reconciled, and a manager killed mid-stream losing nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  alert,
  api,
  appendAlerts,
  enroll,
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
import { openSqliteManagerStore } from '../../src/store/sqlite-manager-store.js';

const CONFIG = `<ossec_config>
  <command><name>mark</name><executable>mark</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>mark</command><location>local</location><rules_id>100001</rules_id><timeout>600</timeout></active-response>
  <active-response><command>mark</command><location>defined-agent</location><agent_id>002,003</agent_id><rules_id>100002</rules_id><timeout>600</timeout></active-response>
  <active-response><command>mark</command><location>all</location><rules_id>100003</rules_id><timeout>600</timeout></active-response>
  <active-response><command>mark</command><location>server</location><rules_id>100004</rules_id><timeout>600</timeout></active-response>
  <active-response><command>mark</command><location>defined-agent</location><agent_id>003</agent_id><rules_id>100005</rules_id><timeout>600</timeout></active-response>
  <active-response><command>mark</command><location>defined-agent</location><agent_id>002</agent_id><rules_id>100006</rules_id><timeout>2</timeout></active-response>
</ossec_config>
`;

const root = makeDir('fleet');
const mHome = path.join(root, 'manager');
const conf = path.join(root, 'ossec.conf');
const alertsFile = path.join(root, 'alerts.json');
const homes = ['a1', 'a2', 'a3'].map((n) => path.join(root, n));
let manager: ManagerProc;
const agents: Proc[] = [];
let n = 0;

function managerArgs(): string[] {
  return ['--alerts', alertsFile, '--alerts-from', 'beginning', '--heartbeat', '1s'];
}

function send(ruleId: string, agentId: string, srcip: string): void {
  appendAlerts(alertsFile, [alert(ruleId, agentId, srcip, n++)]);
}

async function activeAgents(): Promise<string[]> {
  const r = await api(manager, 'GET', '/agents');
  const items = (r.body as { items: { id: string; status: string }[] }).items;
  return items.filter((a) => a.status === 'active').map((a) => a.id);
}

function hasMark(home: string, line: string): boolean {
  return marks(home).includes(line);
}

before(async () => {
  writeFileSync(conf, CONFIG);
  writeFileSync(alertsFile, '');
  installMark(mHome);
  manager = await startManager(mHome, conf, managerArgs());
  const pwFile = path.join(mHome, 'etc', 'authd.pass');
  for (const [i, home] of homes.entries()) {
    const r = enroll(home, manager.port, `agent-${i + 1}`, ['--password-file', pwFile]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, new RegExp(`Enrolled as agent 00${i + 1}`));
    agents.push(await startAgent(home));
  }
  await waitFor('3 agents active', 20_000, async () =>
    (await activeAgents()).length === 4 ? true : undefined,
  );
});

after(async () => {
  for (const a of agents) {
    await a.stop();
  }
  await manager.stop();
  removeDir(root);
});

describe('locations', () => {
  test('local: only the agent that produced the alert', async () => {
    send('100001', '001', '198.51.100.1');
    await waitFor('mark on agent 1', 15_000, () => hasMark(homes[0]!, 'add 198.51.100.1') || undefined);
    assert.ok(!marks(homes[1]!).some((l) => l.includes('198.51.100.1')));
    assert.ok(!marks(homes[2]!).some((l) => l.includes('198.51.100.1')));
  });

  test('defined-agent with a list of ids: each listed agent', async () => {
    send('100002', '001', '198.51.100.2');
    await waitFor('marks on agents 2 and 3', 15_000, () =>
      hasMark(homes[1]!, 'add 198.51.100.2') && hasMark(homes[2]!, 'add 198.51.100.2') ? true : undefined,
    );
    assert.ok(!hasMark(homes[0]!, 'add 198.51.100.2'));
  });

  test('all: every connected agent, not the manager', async () => {
    send('100003', '002', '198.51.100.3');
    await waitFor(
      'marks on all agents',
      15_000,
      () => homes.every((h) => hasMark(h, 'add 198.51.100.3')) || undefined,
    );
    assert.ok(!hasMark(mHome, 'add 198.51.100.3'));
  });

  test("server: the manager's own agent 000", async () => {
    send('100004', '002', '198.51.100.4');
    await waitFor('mark on the manager', 15_000, () => hasMark(mHome, 'add 198.51.100.4') || undefined);
    assert.ok(homes.every((h) => !hasMark(h, 'add 198.51.100.4')));
  });
});

describe('delivery', () => {
  test('agent offline: orders queue, then arrive in order on reconnect', async () => {
    await agents[2]!.stop();
    await waitFor('agent 3 disconnected', 10_000, async () =>
      !(await activeAgents()).includes('003') ? true : undefined,
    );
    const ips = ['203.0.113.10', '203.0.113.11', '203.0.113.12'];
    for (const ip of ips) {
      send('100005', '001', ip);
    }
    await waitFor('agent 3 listed as disconnected', 10_000, async () => {
      const r = await api(manager, 'GET', '/agents/003');
      return (r.body as { status: string }).status === 'disconnected' ? true : undefined;
    });
    await waitFor('3 queued orders for agent 3', 20_000, async () => {
      const r = await api(manager, 'GET', '/orders?agent=003&state=queued');
      const items = (r.body as { items: { state: string }[] }).items;
      return items.length >= ips.length || undefined;
    });
    assert.ok(
      ips.every((ip) => !hasMark(homes[2]!, `add ${ip}`)),
      'nothing ran while offline',
    );
    agents[2] = await startAgent(homes[2]!);
    await waitFor(
      'queued orders delivered',
      15_000,
      () => ips.every((ip) => hasMark(homes[2]!, `add ${ip}`)) || undefined,
    );
    // Delivered in seq order: the agent started their executions in that order (scripts for
    // different keys then run in parallel, so marks.log order is not the delivery order).
    const store = openSqliteManagerStore(path.join(mHome, 'var', 'manager.db'));
    try {
      await waitFor(
        '3 orders executed',
        10_000,
        async () =>
          (await store.listOrders({ agentId: '003', limit: 3 })).every((o) => o.state === 'executed') ||
          undefined,
      );
      const recent = (await store.listOrders({ agentId: '003', limit: 3 })).sort((a, b) => a.seq - b.seq);
      const execIds = recent.map((o) => o.executionId ?? -1);
      assert.deepEqual(
        [...execIds].sort((a, b) => a - b),
        execIds,
        'executions follow the seq order',
      );
      assert.ok(recent.every((o) => o.deliveredAt !== undefined && o.outcome === 'ok'));
    } finally {
      await store.close();
    }
  });

  test('DELETE /active-responses/{key} reverts on the agent', async () => {
    const key = 'mark-198.51.100.1';
    await waitFor('active listed', 10_000, async () => {
      const r = await api(manager, 'GET', '/active-responses?agent=001');
      const items = (r.body as { items: { key: string }[] }).items;
      return items.some((i) => i.key === key) || undefined;
    });
    const r = await api(manager, 'DELETE', `/active-responses/${key}?agent=001`);
    assert.ok(r.status >= 200 && r.status < 300, JSON.stringify(r.body));
    await waitFor(
      'delete mark on agent 1',
      15_000,
      () => hasMark(homes[0]!, 'delete 198.51.100.1') || undefined,
    );
    await waitFor('manager no longer lists it', 10_000, async () => {
      const list = await api(manager, 'GET', '/active-responses?agent=001');
      return (list.body as { items: { key: string }[] }).items.every((i) => i.key !== key) || undefined;
    });
  });

  test('agent restart: its active list is reconciled', async () => {
    send('100006', '001', '192.0.2.66');
    await waitFor('short-lived response active', 10_000, async () => {
      const r = await api(manager, 'GET', '/active-responses?agent=002');
      return (
        (r.body as { items: { key: string }[] }).items.some((i) => i.key === 'mark-192.0.2.66') || undefined
      );
    });
    // The response was added before it was listed, so its 2 s deadline is before seen + 2 s.
    const seen = Date.now();
    await agents[1]!.stop(); // stopped before the 2 s timeout: the manager still lists it
    // Restart once that deadline has passed: a wait for a clock time, not for an effect.
    await new Promise((r) => setTimeout(r, Math.max(0, seen + 2100 - Date.now())));
    agents[1] = await startAgent(homes[1]!); // restore reverts it (overdue), reconnect reports the list
    await waitFor('reconciled', 15_000, async () => {
      const r = await api(manager, 'GET', '/active-responses?agent=002');
      return (
        (r.body as { items: { key: string }[] }).items.every((i) => i.key !== 'mark-192.0.2.66') || undefined
      );
    });
    await waitFor(
      'the overdue delete ran',
      10_000,
      () => hasMark(homes[1]!, 'delete 192.0.2.66') || undefined,
    );
  });

  test('manager killed mid-stream: no order lost, none run twice', async () => {
    const ips = Array.from({ length: 20 }, (_, i) => `192.0.2.${100 + i}`);
    for (const ip of ips.slice(0, 10)) {
      send('100003', '001', ip);
    }
    await waitFor('first alerts ingested', 10_000, () => hasMark(homes[0]!, `add ${ips[0]!}`) || undefined);
    await manager.stop('SIGKILL');
    for (const ip of ips.slice(10)) {
      send('100003', '001', ip);
    }
    manager = await restartManager(manager, conf, managerArgs());
    for (const home of homes) {
      await waitFor(
        `all 20 on ${home}`,
        30_000,
        () => ips.every((ip) => hasMark(home, `add ${ip}`)) || undefined,
      );
      const lines = marks(home).filter((l) => ips.some((ip) => l === `add ${ip}`));
      assert.equal(lines.length, ips.length, `each exactly once on ${home}`);
    }
    const text = readFileSync(path.join(mHome, 'etc', 'pki', 'ca.pem'), 'utf8');
    assert.match(text, /BEGIN CERTIFICATE/);
  });
});
