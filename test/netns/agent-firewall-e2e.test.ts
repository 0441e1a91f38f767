/**
 * The whole path, for real: `riposte start` runs inside a "victim" network namespace; an sshd
 * brute-force alert naming the "attacker" namespace's address is posted to its API; the stock
 * firewall-drop (run in-process by the agent, nftables backend) blocks the attacker; the revert at the
 * deadline, or an operator's revert, unblocks it. IPv4 and IPv6.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canConnect, netnsSkipReason, setupVictim, teardownVictim, type NetnsPair } from './netns-fixture.js';
import { startDaemon, waitFor, type Daemon } from '../e2e/support/daemon-harness.js';

const skip = netnsSkipReason();
let pair: NetnsPair | undefined;
let listener: ChildProcess | undefined;
let home = '';
let daemon: Daemon | undefined;

const CONFIG = `<ossec_config>
  <command><name>firewall-drop</name><executable>firewall-drop</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>firewall-drop</command><location>local</location><rules_id>5712</rules_id><timeout>4</timeout></active-response>
  <active-response><command>firewall-drop</command><location>local</location><rules_id>5763</rules_id><timeout>600</timeout></active-response>
</ossec_config>
`;

function alert(ruleId: string, srcip: string): string {
  return JSON.stringify({
    timestamp: '2026-11-20T08:15:17.123+0000',
    rule: {
      level: 10,
      description: 'sshd: brute force',
      id: ruleId,
      groups: ['syslog', 'sshd', 'authentication_failures'],
    },
    agent: { id: '000', name: 'victim' },
    id: `1763626517.${ruleId}`,
    data: { srcip },
  });
}

before(async () => {
  if (skip !== undefined) {
    return;
  }
  ({ home, pair, listener } = await setupVictim('riposte-agent-fw-'));
  writeFileSync(join(home, 'ossec.conf'), CONFIG);
  daemon = await startDaemon(home, ['start', '-c', join(home, 'ossec.conf')], {}, [
    'ip',
    'netns',
    'exec',
    pair.victim,
  ]);
});

after(async () => {
  if (daemon && daemon.proc.exitCode === null) {
    await daemon.stop();
  }
  teardownVictim({ home, pair, listener });
});

async function post(line: string): Promise<void> {
  const r = await daemon!
    .api()
    .call<{ dispatches: number; orders: number }>('POST', '/alerts', JSON.parse(line));
  assert.equal(r.dispatches, 1);
  assert.equal(r.orders, 1);
}

describe('riposte start in a namespace: alert -> firewall-drop -> revert', { skip }, () => {
  test('IPv4: blocked on the alert, unblocked at the deadline', async () => {
    const p = pair!;
    assert.equal(canConnect(p, 4), true, 'connects before');
    await post(alert('5712', p.attacker4));
    await waitFor('the block', 10_000, () => (canConnect(p, 4) ? undefined : true));
    await waitFor('the revert at the deadline', 15_000, () => (canConnect(p, 4) ? true : undefined));
    // Agent 000 reports its executions to the manager over the in-process link: wait for both.
    const history = async (): Promise<{ action: string; status: string; key?: string }[]> =>
      (
        await daemon!
          .api()
          .call<{ items: { action: string; status: string; key?: string }[] }>('GET', '/executions?limit=10')
      ).items.filter((e) => e.key === `firewall-drop-${p.attacker4}`);
    let mine = await history();
    const deadline = Date.now() + 10_000;
    while (mine.length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      mine = await history();
    }
    assert.deepEqual(
      mine.map((e) => [e.action, e.status]),
      [
        ['delete', 'ok'],
        ['add', 'ok'],
      ],
    );
  });

  test('IPv6: blocked on the alert, unblocked by an operator revert', async () => {
    const p = pair!;
    assert.equal(canConnect(p, 6), true, 'connects before');
    await post(alert('5763', p.attacker6));
    await waitFor('the block', 10_000, () => (canConnect(p, 6) ? undefined : true));
    assert.equal(canConnect(p, 4), true, 'IPv4 unaffected');
    // The active list is the agent's report, which follows the kernel change: waited for.
    const key = `firewall-drop-${p.attacker6}`;
    const expiresAt = await waitFor('the active response listed', 10_000, async () => {
      const list = await daemon!
        .api()
        .call<{ items: { key: string; expiresAt: string }[] }>('GET', '/active-responses');
      return list.items.find((i) => i.key === key)?.expiresAt;
    });
    assert.ok(Date.parse(expiresAt) > Date.now() + 500_000, expiresAt);
    await daemon!.api().call('DELETE', `/active-responses/${encodeURIComponent(key)}`);
    // The revert is an order to agent 000, delivered and run asynchronously.
    await waitFor('the revert', 10_000, () => (canConnect(p, 6) ? true : undefined));
  });
});
