/**
 * The manager and an agent in two network namespaces created by this test (veth between them,
 * addresses only inside the namespaces; the host's network is untouched): the agent enrolls over
 * the veth, connects out to the manager, gets a `local` response, and the manager records the
 * agent's real address.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createPair, destroyPair, netnsSkipReason, type NetnsPair } from './netns-fixture.js';
import {
  AGENT_CHILD,
  MAIN,
  alert,
  appendAlerts,
  installMark,
  makeDir,
  marks,
  removeDir,
  waitFor,
} from '../manager/support/fleet.js';
import { openSqliteManagerStore } from '../../src/store/sqlite-manager-store.js';

const CONFIG = `<ossec_config>
  <command><name>mark</name><executable>mark</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>mark</command><location>local</location><rules_id>100001</rules_id><timeout>600</timeout></active-response>
</ossec_config>
`;

const skip = netnsSkipReason();
let pair: NetnsPair | undefined;
const root = makeDir('netns-link');
const children: { kill(): boolean }[] = [];

function inNs(ns: string, args: readonly string[]) {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  children.push(child);
  return { child, output: () => out };
}

before(() => {
  if (skip === undefined) {
    pair = createPair();
  }
});

after(() => {
  for (const c of children) {
    c.kill();
  }
  if (pair) {
    destroyPair(pair);
  }
  removeDir(root);
});

test(
  'an agent in another namespace enrolls, connects over the veth and executes a response',
  { skip },
  async () => {
    const p = pair!;
    const mHome = path.join(root, 'manager');
    const aHome = path.join(root, 'agent');
    const conf = path.join(root, 'ossec.conf');
    const alerts = path.join(root, 'alerts.json');
    writeFileSync(conf, CONFIG);
    writeFileSync(alerts, '');
    const port = p.port;
    const m = inNs(p.victim, [
      MAIN,
      'manager',
      '-c',
      conf,
      '--home',
      mHome,
      '--listen',
      `${p.victim4}:${port}`,
      '--alerts',
      alerts,
      '--alerts-from',
      'beginning',
      '--heartbeat',
      '1s',
    ]);
    await waitFor(`manager up (${m.output()})`, 20_000, () => /listening on/.test(m.output()) || undefined);
    const enroll = spawnSync(
      'ip',
      [
        'netns',
        'exec',
        p.attacker,
        process.execPath,
        MAIN,
        'agent',
        'enroll',
        '--manager',
        `${p.victim4}:${port}`,
        '--name',
        'ns-agent',
        '--home',
        aHome,
        '--password-file',
        path.join(mHome, 'etc', 'authd.pass'),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(enroll.status, 0, enroll.stdout + enroll.stderr);
    assert.match(enroll.stdout, /Trusting the manager's CA on first use: SHA-256 ([0-9A-F]{2}:)+/);
    installMark(aHome);
    const a = inNs(p.attacker, [AGENT_CHILD, aHome]);
    await waitFor(`agent ready (${a.output()})`, 20_000, () => /ready 001/.test(a.output()) || undefined);
    appendAlerts(alerts, [alert('100001', '001', '198.51.100.77', 1)]);
    await waitFor(
      'mark on the namespaced agent',
      20_000,
      () => marks(aHome).includes('add 198.51.100.77') || undefined,
    );
    const store = openSqliteManagerStore(path.join(mHome, 'var', 'manager.db'));
    try {
      assert.equal((await store.getAgent('001'))?.address, p.attacker4);
      // The mark is written before the script exits; the execution report follows it.
      const order = await waitFor('order executed', 10_000, async () => {
        const [o] = await store.listOrders({ agentId: '001' });
        return o?.state === 'executed' ? o : undefined;
      });
      assert.equal(order.outcome, 'ok');
    } finally {
      await store.close();
    }
  },
);
