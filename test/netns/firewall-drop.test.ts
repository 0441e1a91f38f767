/**
 * firewall-drop, for real: inside a victim namespace, each backend (nftables, iptables, ipset) and
 * each IP version must make a TCP connect from the attacker namespace fail after `add` and succeed
 * again after `delete`; repeated adds leave one block, repeated deletes succeed; rejected input
 * changes nothing. Runs the installed standalone executable, and the library in-process.
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCheckKeys } from '../../src/protocol/ar-message.js';
import {
  arMessage,
  canConnect,
  inNs,
  netnsSkipReason,
  resetFirewall,
  runInstalled,
  setupVictim,
  teardownVictim,
  type NetnsPair,
} from './netns-fixture.js';

const skip = netnsSkipReason();
let pair: NetnsPair | undefined;
let listener: ChildProcess | undefined;
let home = '';

before(async () => {
  if (skip !== undefined) {
    return;
  }
  ({ home, pair, listener } = await setupVictim('riposte-fwdrop-'));
});

after(() => {
  teardownVictim({ home, pair, listener });
});

afterEach(() => {
  if (pair) {
    resetFirewall(pair.victim);
  }
});

function lastLogLine(): string {
  const lines = fs
    .readFileSync(path.join(home, 'logs', 'active-responses.log'), 'utf8')
    .trimEnd()
    .split('\n');
  return lines.at(-1) ?? '';
}

type Backend = 'nftables' | 'iptables' | 'ipset';

/** How many times the victim's firewall blocks `ip` with `backend` (per chain for iptables). */
function blockCount(ns: string, backend: Backend, ip: string, family: 4 | 6): number {
  const tool = family === 4 ? 'iptables' : 'ip6tables';
  const plen = family === 4 ? 32 : 128;
  const lines = (chain: string): string[] => inNs(ns, [tool, '-S', chain]).split('\n');
  if (backend === 'nftables') {
    const out = inNs(ns, ['nft', '-j', 'list', 'set', 'inet', 'riposte', `blocked${family}`], {
      allowFail: true,
    });
    const sets =
      out === '' ? [] : (JSON.parse(out) as { nftables: { set?: { elem?: unknown[] } }[] }).nftables;
    return sets.flatMap((x) => x.set?.elem ?? []).filter((e) => e === ip).length;
  }
  if (backend === 'iptables') {
    const rule = (chain: string): string => `-A ${chain} -s ${ip}/${plen} -j DROP`;
    return ['INPUT', 'FORWARD'].reduce((n, c) => n + lines(c).filter((l) => l === rule(c)).length, 0);
  }
  const set = `riposte${family}`;
  const members = inNs(ns, ['ipset', 'list', set], { allowFail: true }).split('\n');
  const rules = ['INPUT', 'FORWARD'].flatMap((c) =>
    lines(c).filter((l) => l.includes(`--match-set ${set} src -j DROP`)),
  );
  assert.ok(rules.length === 0 || rules.length === 2, `one match-set rule per chain, got ${rules.length}`);
  return members.filter((m) => m === ip).length;
}

function ruleCount(ns: string): number {
  const nft = inNs(ns, ['nft', 'list', 'ruleset']);
  const ipt = ['iptables', 'ip6tables'].flatMap((t) =>
    inNs(ns, [t, '-S'])
      .split('\n')
      .filter((l) => l.startsWith('-A')),
  );
  return (nft.includes('riposte') ? 1 : 0) + ipt.length + inNs(ns, ['ipset', 'list', '-n']).trim().length;
}

async function run(name: string, line: string, reply?: string): ReturnType<typeof runInstalled> {
  assert.ok(pair);
  return runInstalled({ ns: pair.victim, home, name, line, ...(reply === undefined ? {} : { reply }) });
}

const perBlockCount: Readonly<Record<Backend, number>> = { nftables: 1, iptables: 2, ipset: 1 };

void describe('firewall-drop in a network namespace', { skip }, () => {
  for (const backend of ['nftables', 'iptables', 'ipset'] as const) {
    for (const family of [4, 6] as const) {
      void test(`${backend}, IPv${family}: add blocks, repeated add keeps one block, delete unblocks`, async () => {
        assert.ok(pair);
        const ip = family === 4 ? pair.attacker4 : pair.attacker6;
        const extra = ['--backend', backend];
        assert.equal(canConnect(pair, family), true, 'connect works before add');
        const add = await run('firewall-drop', arMessage('add', ip, extra), arMessage('continue', ip, extra));
        assert.equal(add.code, 0);
        assert.deepEqual(add.stdout, [JSON.stringify(buildCheckKeys('firewall-drop', [ip]))]);
        assert.equal(canConnect(pair, family), false, 'connect fails after add');
        const again = await run(
          'firewall-drop',
          arMessage('add', ip, extra),
          arMessage('continue', ip, extra),
        );
        assert.equal(again.code, 0);
        assert.equal(blockCount(pair.victim, backend, ip, family), perBlockCount[backend]);
        assert.equal((await run('firewall-drop', arMessage('delete', ip, extra))).code, 0);
        assert.equal(blockCount(pair.victim, backend, ip, family), 0);
        assert.equal(canConnect(pair, family), true, 'connect works after delete');
        assert.equal((await run('firewall-drop', arMessage('delete', ip, extra))).code, 0, 'repeated delete');
        assert.match(lastLogLine(), / active-response\/bin\/firewall-drop: Ended$/);
      });
    }
  }

  void test('iptables, single form: an IPv6 address written differently is the same rule', async () => {
    assert.ok(pair);
    const extra = ['--backend', 'iptables'];
    // ip6tables-save prints `::198.51.100.7`, Riposte sends `::c633:6407`; -C/-D compare values.
    for (const ip of ['::198.51.100.7', '0:0:0:0:0:0:C633:6407']) {
      const add = await run('firewall-drop', arMessage('add', ip, extra), arMessage('continue', ip, extra));
      assert.equal(add.code, 0);
    }
    assert.equal(blockCount(pair.victim, 'iptables', '::198.51.100.7', 6), 2, 'one rule per chain');
    assert.equal((await run('firewall-drop', arMessage('delete', '::C633:6407', extra))).code, 0);
    assert.equal(ruleCount(pair.victim), 0);
  });

  void test('abort leaves the firewall untouched', async () => {
    assert.ok(pair);
    const r = await run(
      'firewall-drop',
      arMessage('add', pair.attacker4),
      arMessage('abort', pair.attacker4),
    );
    assert.equal(r.code, 0);
    assert.match(lastLogLine(), /: Aborted$/);
    assert.equal(ruleCount(pair.victim), 0);
    assert.equal(canConnect(pair, 4), true);
  });

  void test('default backend is nftables here; an ::ffff: mapped address blocks the IPv4 address', async () => {
    assert.ok(pair);
    const mapped = `::ffff:${pair.attacker4}`;
    const r = await run('firewall-drop', arMessage('add', mapped), arMessage('continue', mapped));
    assert.equal(r.code, 0);
    assert.equal(blockCount(pair.victim, 'nftables', pair.attacker4, 4), 1);
    assert.equal(canConnect(pair, 4), false);
    assert.equal((await run('firewall-drop', arMessage('delete', mapped))).code, 0);
    assert.equal(canConnect(pair, 4), true);
  });

  void test('in-process burst: 300 concurrent adds coalesce into few nft transactions, then deletes', () => {
    assert.ok(pair);
    const runner = path.join(path.dirname(fileURLToPath(import.meta.url)), 'in-process-runner.js');
    const ips = [pair.attacker4, ...Array.from({ length: 299 }, (_, i) => `10.77.${i >> 8}.${i & 0xff}`)];
    const exec = (command: string): { codes: number[]; transactions: number } =>
      JSON.parse(
        inNs(pair!.victim, [
          process.execPath,
          runner,
          home,
          'firewall-drop',
          command,
          '[]',
          JSON.stringify(ips),
        ]),
      ) as { codes: number[]; transactions: number };
    const added = exec('add');
    assert.deepEqual(
      added.codes,
      ips.map(() => 0),
    );
    assert.ok(added.transactions <= 5, `${added.transactions} transactions for ${ips.length} adds`);
    assert.equal(canConnect(pair, 4), false);
    const deleted = exec('delete');
    assert.deepEqual(
      deleted.codes,
      ips.map(() => 0),
    );
    assert.ok(deleted.transactions <= 5);
    assert.equal(canConnect(pair, 4), true);
    assert.equal(blockCount(pair.victim, 'nftables', pair.attacker4, 4), 0);
  });

  const rejected: [string, unknown, readonly string[], string][] = [
    ['shell separator', '1.2.3.4;id', [], "Cannot read 'srcip' from data or invalid IP format"],
    ['command substitution', '$(id)', [], "Cannot read 'srcip' from data or invalid IP format"],
    ['newline', '1.2.3.4\nid', [], "Cannot read 'srcip' from data or invalid IP format"],
    ['inet_aton shorthand', '10.1', [], "Cannot read 'srcip' from data or invalid IP format"],
    ['host name', 'attacker.example.com', [], "Cannot read 'srcip' from data or invalid IP format"],
    ['missing field', undefined, [], "Cannot read 'srcip' from data or invalid IP format"],
    ['bad backend', '10.1.2.3', ['--backend', 'iptables;id'], "Invalid firewall backend 'iptables;id'"],
  ];
  for (const [label, srcip, extra, expected] of rejected) {
    void test(`rejected input (${label}): exit 255, logged, no handshake, no rule`, async () => {
      assert.ok(pair);
      const r = await run('firewall-drop', arMessage('add', srcip, extra), arMessage('continue', srcip));
      assert.equal(r.code, 255);
      assert.deepEqual(r.stdout, []);
      assert.ok(lastLogLine().includes(`active-response/bin/firewall-drop: ${expected}`), lastLogLine());
      assert.equal(ruleCount(pair.victim), 0);
    });
  }

  void test('unknown command: exit 255, "Invalid value of \'command\'", no rule', async () => {
    assert.ok(pair);
    const r = await run('firewall-drop', arMessage('restart', pair.attacker4));
    assert.equal(r.code, 255);
    assert.match(lastLogLine(), /firewall-drop: Invalid value of 'command'$/);
    assert.equal(ruleCount(pair.victim), 0);
  });
});
