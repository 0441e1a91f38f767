/**
 * The batch forms of route-null (`ip -force -batch -`), firewall-drop's ipset backend (`ipset
 * restore -exist`) and iptables backend (`iptables-restore --noflush`, ip6tables too), for real,
 * in a scratch victim namespace: one batch of many executions is a constant number of tool runs
 * (listed by a dry run of the same batch), every address ends blocked (a TCP connect from the
 * attacker fails) or unblocked, an add then a delete of one address in one batch ends deleted, a
 * repeated add leaves one rule, and a failing element fails only its own execution.
 * The batches run in-process in a child (batch-runner.ts) started inside the namespace.
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  canConnect,
  inNs,
  netnsSkipReason,
  setupVictim,
  teardownVictim,
  type NetnsPair,
} from './netns-fixture.js';

const skip = netnsSkipReason();
let pair: NetnsPair | undefined;
let listener: ChildProcess | undefined;
let home = '';
const runner = path.join(path.dirname(fileURLToPath(import.meta.url)), 'batch-runner.js');

interface BatchRun {
  readonly results: { exitCode: number; error: string | null }[];
  readonly commands: string[];
}

type Item = { mode: 'add' | 'delete'; ip: string };

function runBatch(script: string, extra: readonly string[], items: readonly Item[]): BatchRun {
  assert.ok(pair);
  return JSON.parse(
    inNs(pair.victim, [process.execPath, runner, home, script, JSON.stringify(extra), JSON.stringify(items)]),
  ) as BatchRun;
}

/** 30 IPv4 and 10 IPv6 addresses that exist only as rules in the victim namespace. */
function others(): string[] {
  return [
    ...Array.from({ length: 30 }, (_, i) => `10.88.0.${i + 1}`),
    ...Array.from({ length: 10 }, (_, i) => `fd00:88::${(i + 1).toString(16)}`),
  ];
}

function allOk(run: BatchRun): void {
  assert.deepEqual(
    run.results.filter((r) => r.exitCode !== 0),
    [],
    'every execution succeeded',
  );
}

before(async () => {
  if (skip !== undefined) {
    return;
  }
  ({ home, pair, listener } = await setupVictim('riposte-batchforms-'));
});

after(() => {
  teardownVictim({ home, pair, listener });
});

describe('batch forms in a scratch namespace', { skip }, () => {
  afterEach(() => {
    if (!pair) {
      return;
    }
    for (const args of [
      ['ip', '-4', 'route', 'flush', 'proto', '247'],
      ['ip', '-6', 'route', 'flush', 'proto', '247'],
      ['ip', 'route', 'del', '10.88.0.99/32'],
      ['iptables', '-F', 'INPUT'],
      ['iptables', '-F', 'FORWARD'],
      ['ip6tables', '-F', 'INPUT'],
      ['ip6tables', '-F', 'FORWARD'],
      ['ipset', 'flush'],
    ]) {
      inNs(pair.victim, args, { allowFail: true });
    }
  });

  void test('route-null: one ip -batch for 42 executions; the one conflicting with a foreign route fails alone', () => {
    assert.ok(pair);
    // A route the script did not create: its add must fail, and only its own.
    inNs(pair.victim, ['ip', 'route', 'add', '10.88.0.99/32', 'dev', 'lo']);
    const ips = [pair.attacker4, pair.attacker6, '10.88.0.99', ...others()];
    const add = runBatch(
      'route-null',
      [],
      ips.map((ip) => ({ mode: 'add', ip })),
    );
    assert.equal(add.results.length, ips.length);
    const failed = add.results.flatMap((r, i) => (r.exitCode === 0 ? [] : [ips[i]]));
    assert.deepEqual(failed, ['10.88.0.99']);
    assert.match(add.results[2]?.error ?? '', /^Unable to run ip route add blackhole 10\.88\.0\.99\/32/);
    assert.deepEqual(
      add.commands.map((c) => c.split(' ').slice(0, 3).join(' ')),
      ['ip -4 route', 'ip -6 route', 'ip -force -batch'],
      'two listings and one batch, whatever the number of executions',
    );
    assert.equal(canConnect(pair, 4), false);
    assert.equal(canConnect(pair, 6), false);
    const ours = inNs(pair.victim, ['ip', '-4', 'route', 'show', 'proto', '247', 'type', 'blackhole']);
    assert.equal(ours.trim().split('\n').length, 31, 'attacker4 + 30 others, the foreign one not replaced');

    // Again (idempotent), then an add and a delete of one address in one batch, then all deletes.
    allOk(
      runBatch(
        'route-null',
        [],
        [
          { mode: 'add', ip: pair.attacker4 },
          { mode: 'delete', ip: '10.88.0.1' },
        ],
      ),
    );
    const del = runBatch(
      'route-null',
      [],
      [...ips, '10.88.0.1'].map((ip) => ({ mode: 'delete', ip })),
    );
    allOk(del);
    assert.equal(canConnect(pair, 4), true);
    assert.equal(canConnect(pair, 6), true);
    assert.equal(inNs(pair.victim, ['ip', '-4', 'route', 'show', 'proto', '247']).trim(), '');
    assert.match(inNs(pair.victim, ['ip', 'route', 'show', '10.88.0.99/32']), /10\.88\.0\.99 dev lo/);
  });

  void test('firewall-drop --backend ipset: one ipset restore for 42 executions, add then delete ends deleted', () => {
    assert.ok(pair);
    const ips = [pair.attacker4, pair.attacker6, ...others()];
    const items: Item[] = [
      ...ips.map((ip): Item => ({ mode: 'add', ip })),
      { mode: 'delete', ip: '10.88.0.5' },
      { mode: 'add', ip: pair.attacker4 },
    ];
    const add = runBatch('firewall-drop', ['--backend', 'ipset'], items);
    allOk(add);
    assert.equal(
      add.commands.filter((c) => c.startsWith('ipset restore')).length,
      1,
      add.commands.join('\n'),
    );
    assert.equal(canConnect(pair, 4), false);
    assert.equal(canConnect(pair, 6), false);
    const members = (set: string): string[] =>
      inNs(pair!.victim, ['ipset', 'list', set]).split('Members:\n')[1]?.trim().split('\n').filter(Boolean) ??
      [];
    assert.equal(members('riposte4').length, 30, '31 blocked minus the one deleted in the same batch');
    assert.equal(members('riposte4').includes('10.88.0.5'), false);
    assert.equal(members('riposte6').length, 11);

    allOk(
      runBatch(
        'firewall-drop',
        ['--backend', 'ipset'],
        ips.map((ip) => ({ mode: 'delete', ip })),
      ),
    );
    assert.equal(canConnect(pair, 4), true);
    assert.equal(canConnect(pair, 6), true);
    assert.deepEqual([...members('riposte4'), ...members('riposte6')], []);
  });

  void test('firewall-drop --backend iptables: one iptables-restore per family, Wazuh layout, no duplicate', () => {
    assert.ok(pair);
    const ips = [pair.attacker4, pair.attacker6, ...others()];
    const add = runBatch(
      'firewall-drop',
      ['--backend', 'iptables'],
      ips.map((ip) => ({ mode: 'add', ip })),
    );
    allOk(add);
    const restores = add.commands.filter((c) => /^ip6?tables-restore -w \d+ --noflush$/.test(c));
    assert.equal(restores.length, 2, add.commands.join('\n'));
    assert.equal(canConnect(pair, 4), false);
    assert.equal(canConnect(pair, 6), false);
    // A repeated add (and an add + delete of one address) in a second batch.
    allOk(
      runBatch(
        'firewall-drop',
        ['--backend', 'iptables'],
        [
          { mode: 'add', ip: pair.attacker4 },
          { mode: 'add', ip: '10.88.0.200' },
          { mode: 'delete', ip: '10.88.0.200' },
        ],
      ),
    );
    const rules4 = inNs(pair.victim, ['iptables', '-S', 'INPUT']);
    assert.equal(rules4.split(`-A INPUT -s ${pair.attacker4}/32 -j DROP`).length - 1, 1, 'one rule, not two');
    assert.equal(rules4.includes('10.88.0.200'), false);
    assert.equal((inNs(pair.victim, ['iptables', '-S', 'FORWARD']).match(/-j DROP/g) ?? []).length, 31);
    assert.equal((inNs(pair.victim, ['ip6tables', '-S', 'INPUT']).match(/-j DROP/g) ?? []).length, 11);

    allOk(
      runBatch(
        'firewall-drop',
        ['--backend', 'iptables'],
        ips.map((ip) => ({ mode: 'delete', ip })),
      ),
    );
    assert.equal(canConnect(pair, 4), true);
    assert.equal(canConnect(pair, 6), true);
    assert.equal(inNs(pair.victim, ['iptables', '-S', 'INPUT']).includes('-j DROP'), false);
    assert.equal(inNs(pair.victim, ['ip6tables', '-S', 'FORWARD']).includes('-j DROP'), false);
  });

  void test('firewall-drop --backend iptables: an IPv6 address is one rule whatever its written form', () => {
    assert.ok(pair);
    const victim = pair.victim;
    const drops = (chain: string): string[] =>
      inNs(victim, ['ip6tables', '-S', chain])
        .split('\n')
        .filter((l) => l.endsWith('-j DROP'));
    const batch = (mode: Item['mode'], ips: readonly string[]): void => {
      allOk(
        runBatch(
          'firewall-drop',
          ['--backend', 'iptables'],
          ips.map((ip) => ({ mode, ip })),
        ),
      );
    };
    // IPv4-compatible addresses: ip6tables-save prints them with a dotted tail (`::198.51.100.7`),
    // not in their canonical text (`::c633:6407`), the text Riposte sends.
    batch('add', ['::198.51.100.7', '0:0:0:0:0:0:C633:6408']);
    batch('add', ['::c633:6407', '::198.51.100.8']);
    assert.deepEqual(drops('INPUT'), [
      '-A INPUT -s ::198.51.100.8/128 -j DROP',
      '-A INPUT -s ::198.51.100.7/128 -j DROP',
    ]);
    assert.equal(drops('FORWARD').length, 2, 'one rule per address, not two');
    // Two copies left by a Wazuh script, which inserts the address as received.
    for (let i = 0; i < 2; i++) {
      inNs(victim, ['ip6tables', '-w', '10', '-I', 'INPUT', '-s', '::198.51.100.9', '-j', 'DROP']);
    }
    batch('delete', ['::C633:6407', '::198.51.100.8', '0::c633:6409']);
    assert.deepEqual([...drops('INPUT'), ...drops('FORWARD')], [], 'every rule deleted');
  });
});
