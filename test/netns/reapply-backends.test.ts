/**
 * firewall-drop's re-apply form after a reboot (StockScript.reapplyJoined) on each backend the
 * automatic probe can pick, for real, in a scratch victim namespace: nftables (its lean `addList`),
 * and, where nft does not work, ipset, and where neither nft nor ipset works, iptables (both
 * through their batch `applyOps`). The tools are made not to work by a bind mount of /bin/false
 * over them in the child's private mount namespace (reapply-runner.ts); the host's tools, mounts
 * and firewall are never touched.
 *
 * Each run gets the stored keys of 13 responses as one text, one of them not an address (a store
 * row written by something else): that one fails alone with the 4.14.7 line, every address ends
 * blocked (a TCP connect from the attacker fails), and `started` is called once.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  canConnect,
  inNs,
  netnsSkipReason,
  resetFirewall,
  victimHooks,
  type NetnsPair,
} from './netns-fixture.js';

const skip = netnsSkipReason();
const victim = victimHooks('riposte-reapply-', skip);
/** The victim's namespace pair (set up by the file's `before`). */
function thePair(): NetnsPair {
  assert.ok(victim.pair, 'the victim namespaces are set up');
  return victim.pair;
}

const runner = path.join(path.dirname(fileURLToPath(import.meta.url)), 'reapply-runner.js');

interface Reapplied {
  readonly failures: { key: string; message: string }[];
  readonly started: number;
}

const OTHERS = ['10.88.0.1', '10.88.0.2', '10.88.0.3', '10.88.0.4', '10.88.0.5', 'fd00:88::1', 'fd00:88::2'];
const BAD = '10.88.0.300';

/** The keys of the test: both attackers, seven other addresses, a bad one in the middle. */
function keys(p: NetnsPair): string[] {
  return [p.attacker4, ...OTHERS.slice(0, 3), BAD, ...OTHERS.slice(3), p.attacker6, '10.88.0.6', '10.88.0.7'];
}

function reapply(mask: readonly string[]): Reapplied {
  const pair = thePair();
  const all = keys(pair);
  const testMnt = readlinkSync('/proc/self/ns/mnt');
  const arg = JSON.stringify({ home: victim.home, mask, keys: all.join(','), count: all.length, testMnt });
  const out = inNs(pair.victim, ['unshare', '-m', '--propagation', 'private', process.execPath, runner, arg]);
  return JSON.parse(out) as Reapplied;
}

function assertOutcome(run: Reapplied): void {
  assert.deepEqual(run.failures, [
    { key: BAD, message: `Unable to run active response (invalid IP: '${BAD}').` },
  ]);
  assert.equal(run.started, 1, 'started once, when the OS work is under way');
  const pair = thePair();
  assert.equal(canConnect(pair, 4), false, 'the IPv4 attacker is blocked');
  assert.equal(canConnect(pair, 6), false, 'the IPv6 attacker is blocked');
}

/**
 * True when the victim has the nftables backend's table, i.e. that backend acted. (Other tables
 * may exist: Debian's iptables is iptables-nft, whose rules live in nftables tables of its own.)
 */
function hasRiposteTable(): boolean {
  const pair = thePair();
  return /^table inet riposte$/m.test(inNs(pair.victim, ['nft', 'list', 'tables']));
}

describe("firewall-drop's re-apply form on each backend (scratch namespace)", { skip }, () => {
  afterEach(() => {
    if (victim.pair) {
      resetFirewall(victim.pair.victim);
      assert.equal(canConnect(victim.pair, 4), true, 'unblocked again for the next test');
    }
  });

  void test('nftables works: the lean addList form, the bad key alone fails', () => {
    const pair = thePair();
    const run = reapply([]);
    assertOutcome(run);
    assert.equal(hasRiposteTable(), true);
    const set4 = inNs(pair.victim, ['nft', '-j', 'list', 'set', 'inet', 'riposte', 'blocked4']);
    for (const ip of [pair.attacker4, ...OTHERS.filter((o) => !o.includes(':')), '10.88.0.7']) {
      assert.ok(set4.includes(`"${ip}"`), `${ip} in blocked4`);
    }
    assert.equal(set4.includes('10.88.0.30'), false, 'nothing of the bad key reached the set');
  });

  void test('nft does not work: the ipset backend re-applies every address in its sets', () => {
    const pair = thePair();
    const run = reapply(['nft']);
    assertOutcome(run);
    assert.equal(hasRiposteTable(), false, 'nothing went to nftables');
    const members = (set: string): string[] =>
      (inNs(pair.victim, ['ipset', 'list', set]).split('Members:\n')[1] ?? '')
        .trim()
        .split('\n')
        .filter(Boolean)
        .sort();
    assert.deepEqual(
      members('riposte4'),
      [
        pair.attacker4,
        '10.88.0.1',
        '10.88.0.2',
        '10.88.0.3',
        '10.88.0.4',
        '10.88.0.5',
        '10.88.0.6',
        '10.88.0.7',
      ].sort(),
    );
    assert.deepEqual(members('riposte6'), [pair.attacker6, 'fd00:88::1', 'fd00:88::2'].sort());
  });

  void test('neither nft nor ipset works: the iptables backend re-applies, Wazuh layout', () => {
    const pair = thePair();
    const run = reapply(['nft', 'ipset']);
    assertOutcome(run);
    assert.equal(hasRiposteTable(), false, 'nothing went to nftables');
    for (const chain of ['INPUT', 'FORWARD']) {
      const rules4 = inNs(pair.victim, ['iptables', '-S', chain]);
      assert.equal((rules4.match(/-j DROP/g) ?? []).length, 8, `${chain}: 8 IPv4 rules`);
      assert.ok(rules4.includes(`-A ${chain} -s ${pair.attacker4}/32 -j DROP`));
      const rules6 = inNs(pair.victim, ['ip6tables', '-S', chain]);
      assert.equal((rules6.match(/-j DROP/g) ?? []).length, 3, `${chain}: 3 IPv6 rules`);
    }
  });
});
