/**
 * Re-apply after a reboot for real (issue #12 item 5): `riposte agent` in a network namespace the
 * test creates, on a store of 3,000 active firewall-drop responses whose boot id differs from the
 * kernel's (`--boot-id-file`), the namespace's nft set empty as after a reboot.
 *  - a start re-applies all 3,000 in ONE nft transaction by key and records one `reapply`
 *    execution each (ok), then stores the new boot id; a restart on the same boot re-applies nothing;
 *  - kill -9 while the re-apply runs loses nothing: either the new boot id is stored (then every
 *    re-apply is recorded) or the next start re-applies them all again.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { join } from 'node:path';
import type { ActiveResponse } from '../../src/protocol/execution-records.js';
import { openSqliteAgentStore } from '../../src/store/sqlite-agent-store.js';
import {
  arMessage,
  CLI,
  makeHome,
  removeHome,
  startDaemon,
  waitFor,
  writeArConf,
} from '../e2e/support/daemon-harness.js';
import { inNs, netnsSkipReason } from './netns-fixture.js';

const skip = netnsSkipReason();
const N = 3000;
const FAR = 30 * 24 * 3600 * 1000;
const namespaces: string[] = [];
const homes: string[] = [];

after(() => {
  namespaces.forEach((ns) => spawnSync('ip', ['netns', 'del', ns]));
  homes.forEach(removeHome);
});

const address = (i: number): string => `10.66.${i >> 8}.${i & 0xff}`;

function row(i: number, now: number): ActiveResponse {
  const ip = address(i);
  const message = (command: string): string =>
    JSON.stringify({
      version: 1,
      origin: { name: 'node01', module: 'wazuh-execd' },
      command,
      parameters: {
        extra_args: [],
        alert: { id: `1700000000.${i}`, rule: { id: '5712', level: 10 }, data: { srcip: ip } },
        program: 'active-response/bin/firewall-drop',
      },
    });
  return {
    key: `firewall-drop-${ip}`,
    arName: 'firewall-drop600',
    program: 'active-response/bin/firewall-drop',
    deleteMessage: message('delete'),
    addMessage: message('add'),
    agentId: '000',
    createdAt: now,
    addedAt: now,
    timeoutSec: FAR / 1000,
    expiresAt: now + FAR,
    repeatCount: 1,
    alertId: `1700000000.${i}`,
    ruleId: 5712,
    srcip: ip,
    user: undefined,
  };
}

/** A namespace and a home whose store holds N active responses recorded under boot "boot-a". */
function setup(): { ns: string; home: string; bootIdFile: string } {
  const ns = `rip-${randomBytes(4).toString('hex')}-r`;
  assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0);
  namespaces.push(ns);
  const home = makeHome('riposte-reboot-');
  homes.push(home);
  writeArConf(home, ['firewall-drop600 - firewall-drop - 600']);
  const store = openSqliteAgentStore(join(home, 'var', 'agent.db'));
  const now = Date.now();
  store.transaction(() => {
    for (let i = 0; i < N; i++) {
      store.putActive(row(i, now));
    }
  });
  store.setSetting('boot_id', 'boot-a');
  store.close();
  const bootIdFile = join(home, 'boot_id');
  fs.writeFileSync(bootIdFile, 'boot-b\n');
  return { ns, home, bootIdFile };
}

function setSize(ns: string): number {
  const out = inNs(ns, ['nft', '-j', 'list', 'set', 'inet', 'riposte', 'blocked4'], { allowFail: true });
  try {
    const parsed = JSON.parse(out) as { nftables: { set?: { elem?: unknown[] } }[] };
    return parsed.nftables.find((x) => x.set)?.set?.elem?.length ?? 0;
  } catch {
    return 0;
  }
}

/** What the store says after a run: boot id, and the re-apply executions by status. */
function stored(home: string): { bootId: string | undefined; reapplies: Map<string, number> } {
  const store = openSqliteAgentStore(join(home, 'var', 'agent.db'));
  try {
    const reapplies = new Map<string, number>();
    for (const r of store.listExecutions({ limit: 10 * N })) {
      if (r.action === 'reapply') {
        reapplies.set(r.status, (reapplies.get(r.status) ?? 0) + 1);
      }
    }
    return { bootId: store.getSetting('boot_id'), reapplies };
  } finally {
    store.close();
  }
}

describe('agent re-apply after a reboot (netns, nftables)', { skip }, () => {
  void test('3,000 re-applied in one batch, recorded, boot id stored after; a restart re-applies nothing', async () => {
    const { ns, home, bootIdFile } = setup();
    const wrap = ['ip', 'netns', 'exec', ns];
    const d = await startDaemon(home, ['agent', '--boot-id-file', bootIdFile], {}, wrap);
    assert.equal(setSize(ns), N);
    await d.stop();
    const after1 = stored(home);
    assert.equal(after1.bootId, 'boot-b');
    assert.deepEqual([...after1.reapplies], [['ok', N]]);
    const log = fs.readFileSync(join(home, 'logs', 'riposte.log'), 'utf8');
    assert.match(
      log,
      /Re-applied 3000 active response\(s\) of active-response\/bin\/firewall-drop in one batch/,
    );
    assert.match(
      log,
      /Restored active responses: 3000 armed, 0 overdue reverted, 3000 re-applied \(reboot detected\)/,
    );

    const d2 = await startDaemon(home, ['agent', '--boot-id-file', bootIdFile], {}, wrap);
    await d2.stop();
    assert.deepEqual([...stored(home).reapplies], [['ok', N]], 'same boot: nothing re-applied');
  });

  void test('kill -9 during the re-apply, then restart: every response back in the set, each re-apply recorded', async () => {
    const { ns, home, bootIdFile } = setup();
    const argv = [
      'netns',
      'exec',
      ns,
      process.execPath,
      CLI,
      'agent',
      '--home',
      home,
      '--boot-id-file',
      bootIdFile,
    ];
    const proc = spawn('ip', argv, { stdio: 'ignore' });
    const exited = new Promise((r) => proc.on('exit', r));
    // Killed as soon as the transaction is in the kernel: the records and the boot id may or may not be written.
    await waitFor('the re-apply transaction', 30_000, () => (setSize(ns) > 0 ? true : undefined));
    proc.kill('SIGKILL');
    await exited;
    const killed = stored(home);
    if (killed.bootId === 'boot-b') {
      assert.deepEqual([...killed.reapplies], [['ok', N]], 'the boot id is stored only after the records');
    }
    // Whatever the kernel kept, the next start must not rely on it.
    inNs(ns, ['nft', 'delete', 'table', 'inet', 'riposte']);
    const d = await startDaemon(home, ['agent', '--boot-id-file', bootIdFile], {}, [
      'ip',
      'netns',
      'exec',
      ns,
    ]);
    await d.stop();
    const final = stored(home);
    assert.equal(final.bootId, 'boot-b');
    if (killed.bootId !== 'boot-b') {
      assert.equal(setSize(ns), N, 'the restart re-applied everything');
      assert.ok((final.reapplies.get('ok') ?? 0) >= N, 'and recorded it');
    }
    assert.equal(final.reapplies.get('running') ?? 0, 0);
  });

  void test('a restart on the same boot, then nft flush ruleset: the next block puts every response back', async () => {
    const { ns, home, bootIdFile } = setup();
    const wrap = ['ip', 'netns', 'exec', ns];
    const d = await startDaemon(home, ['agent', '--boot-id-file', bootIdFile], {}, wrap);
    await d.stop(); // the reboot's re-apply: N in the set, boot id stored
    assert.equal(setSize(ns), N);
    // Restarted on the same boot: it re-applies nothing, the kernel holds the N.
    const d2 = await startDaemon(home, ['agent', '--boot-id-file', bootIdFile], {}, wrap);
    try {
      inNs(ns, ['nft', 'flush', 'ruleset']); // a firewall reload
      await d2.send(arMessage('firewall-drop600', '10.77.0.1'));
      // The block's transaction finds the table gone and sets it up again with every response in
      // force (before, with only what this process had applied: the new address alone).
      const has = (ip: string): boolean =>
        spawnSync('ip', [
          'netns',
          'exec',
          ns,
          'nft',
          'get',
          'element',
          'inet',
          'riposte',
          'blocked4',
          `{ ${ip} }`,
        ]).status === 0;
      await waitFor('the new block in the set', 30_000, () => (has('10.77.0.1') ? true : undefined));
      assert.equal(setSize(ns), N + 1);
    } finally {
      await d2.stop();
    }
  });
});
