/**
 * The pure parts of the stock scripts' batch forms: isolation of a failing item by halving, the
 * iptables-restore lines computed from iptables-save output, the `ip -batch` lines of route-null,
 * and the `ipset restore` input. The real tools run in test/netns/batch-forms.test.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIp, type IpAddress } from '../../../src/core/net/ip.js';
import { isolateByHalving } from '../../../src/scripts/contract/stock-batch.js';
import type { FirewallOp } from '../../../src/scripts/firewall/backend.js';
import { iptablesRestoreLines } from '../../../src/scripts/firewall/iptables.js';
import { ipsetRestoreInput } from '../../../src/scripts/firewall/ipset.js';
import { routeBatchLines } from '../../../src/scripts/route-null.js';

function ip(text: string): IpAddress {
  const a = parseIp(text);
  assert.ok(a, text);
  return a;
}

const op = (kind: FirewallOp['kind'], text: string): FirewallOp => ({ kind, ip: ip(text) });

describe('isolateByHalving', () => {
  void test('all good: one run for everything', async () => {
    const runs: number[][] = [];
    const results = await isolateByHalving([1, 2, 3, 4, 5], (part) => {
      runs.push([...part]);
      return Promise.resolve();
    });
    assert.deepEqual(results, [undefined, undefined, undefined, undefined, undefined]);
    assert.deepEqual(runs, [[1, 2, 3, 4, 5]]);
  });

  void test('one bad item among 1,000 fails alone, in about 2·log2(n) extra runs, items kept in order', async () => {
    const items = Array.from({ length: 1000 }, (_, i) => i);
    const applied: number[] = [];
    let runs = 0;
    const results = await isolateByHalving(items, (part) => {
      runs++;
      if (part.includes(637)) {
        return Promise.reject(new Error('element 637 refused'));
      }
      applied.push(...part);
      return Promise.resolve();
    });
    assert.deepEqual(
      results.flatMap((r, i) => (r === undefined ? [] : [[i, r]])),
      [[637, 'element 637 refused']],
    );
    assert.deepEqual(
      applied,
      items.filter((i) => i !== 637),
    );
    assert.ok(runs <= 1 + 2 * Math.ceil(Math.log2(1000)), `${runs} runs`);
  });

  void test('every item bad: each gets its own message', async () => {
    const results = await isolateByHalving(['a', 'b', 'c'], (part) =>
      Promise.reject(new Error(`bad ${part.join('')}`)),
    );
    assert.deepEqual(results, ['bad a', 'bad b', 'bad c']);
  });
});

describe('iptablesRestoreLines', () => {
  const saved = [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    '-A INPUT -s 192.0.2.1/32 -j DROP',
    '-A FORWARD -s 192.0.2.1/32 -j DROP',
    '-A INPUT -s 192.0.2.2/32 -j DROP',
    '-A INPUT -s 192.0.2.2/32 -j DROP',
    'COMMIT',
  ].join('\n');

  void test('adds only what is missing, deletes every copy, follows the batch order', () => {
    assert.deepEqual(
      iptablesRestoreLines(saved, [
        op('add', '192.0.2.1'), // present on both chains: nothing
        op('add', '192.0.2.2'), // present on INPUT (twice), missing on FORWARD
        op('delete', '192.0.2.2'),
        op('add', '192.0.2.3'),
        op('add', '192.0.2.3'), // repeated in the batch: once
        op('delete', '192.0.2.9'), // absent: nothing
      ]),
      [
        '-I FORWARD -s 192.0.2.2 -j DROP',
        '-D INPUT -s 192.0.2.2 -j DROP',
        '-D INPUT -s 192.0.2.2 -j DROP',
        '-D FORWARD -s 192.0.2.2 -j DROP',
        '-I INPUT -s 192.0.2.3 -j DROP',
        '-I FORWARD -s 192.0.2.3 -j DROP',
      ],
    );
  });

  void test('IPv6 rules are matched in iptables-save form (/128)', () => {
    const saved6 = '-A INPUT -s 2001:db8::1/128 -j DROP\n';
    assert.deepEqual(iptablesRestoreLines(saved6, [op('add', '2001:db8::1'), op('delete', '2001:db8::1')]), [
      '-I FORWARD -s 2001:db8::1 -j DROP',
      '-D INPUT -s 2001:db8::1 -j DROP',
      '-D FORWARD -s 2001:db8::1 -j DROP',
    ]);
  });

  // ip6tables-save prints IPv4-mapped and IPv4-compatible addresses with a dotted tail, where the
  // canonical text (formatIp, what is sent) is hex: the rules must be matched by value.
  const savedDotted = [
    '-A INPUT -s ::ffff:198.51.100.7/128 -j DROP',
    '-A FORWARD -s ::ffff:198.51.100.7/128 -j DROP',
    '-A FORWARD -s ::ffff:198.51.100.7/128 -j DROP',
    '-A INPUT -s ::198.51.100.8/128 -j DROP',
    '-A INPUT -s 2001:DB8:0:0:0:0:0:A/128 -j DROP',
  ].join('\n');

  void test('an address is matched by value whatever its written form, in ops or in the saved rules', () => {
    for (const text of ['::ffff:198.51.100.7', '::FFFF:c633:6407', '0:0:0:0:0:ffff:198.51.100.7']) {
      assert.deepEqual(iptablesRestoreLines(savedDotted, [op('add', text)]), [], `add ${text}`);
      assert.deepEqual(
        iptablesRestoreLines(savedDotted, [op('delete', text)]),
        [
          '-D INPUT -s ::ffff:c633:6407 -j DROP',
          '-D FORWARD -s ::ffff:c633:6407 -j DROP',
          '-D FORWARD -s ::ffff:c633:6407 -j DROP',
        ],
        `delete ${text}`,
      );
    }
    assert.deepEqual(iptablesRestoreLines(savedDotted, [op('delete', '::c633:6408')]), [
      '-D INPUT -s ::c633:6408 -j DROP',
    ]);
    assert.deepEqual(iptablesRestoreLines(savedDotted, [op('add', '2001:db8::a')]), [
      '-I FORWARD -s 2001:db8::a -j DROP',
    ]);
  });

  void test('another prefix or another rule on the same address is not the block', () => {
    const other = [
      '-A INPUT -s 2001:db8::a/127 -j DROP',
      '-A INPUT -s 2001:db8::a/128 -p tcp -j DROP',
      '-A INPUT -s 2001:db8::a/128 -j ACCEPT',
      '-A INPUT ! -s 2001:db8::a/128 -j DROP',
      '-A INPUT -s 192.0.2.1/24 -j DROP',
    ].join('\n');
    assert.deepEqual(
      iptablesRestoreLines(other, [op('delete', '2001:db8::a'), op('delete', '192.0.2.1')]),
      [],
    );
    assert.deepEqual(iptablesRestoreLines(other, [op('add', '192.0.2.1')]), [
      '-I INPUT -s 192.0.2.1 -j DROP',
      '-I FORWARD -s 192.0.2.1 -j DROP',
    ]);
  });
});

describe('routeBatchLines', () => {
  void test('only the changes needed, in order, each pointing at its execution', () => {
    const present = new Set(['192.0.2.1']);
    const lines = routeBatchLines(present, [
      { mode: 'add', ip: ip('192.0.2.1') },
      { mode: 'add', ip: ip('192.0.2.2') },
      { mode: 'delete', ip: ip('192.0.2.2') },
      { mode: 'delete', ip: ip('192.0.2.7') },
      { mode: 'add', ip: ip('2001:db8::5') },
    ]);
    assert.deepEqual(lines, [
      { line: 'route add blackhole 192.0.2.2/32 proto 247', item: 1 },
      { line: 'route del blackhole 192.0.2.2/32 proto 247', item: 2 },
      { line: 'route add blackhole 2001:db8::5/128 proto 247', item: 4 },
    ]);
    assert.deepEqual([...present], ['192.0.2.1'], 'the listing is not changed');
  });
});

void test('ipsetRestoreInput: one line per op, in order, set by family', () => {
  assert.equal(
    ipsetRestoreInput([op('add', '192.0.2.1'), op('delete', '192.0.2.1'), op('add', '2001:db8::1')]),
    'add riposte4 192.0.2.1\ndel riposte4 192.0.2.1\nadd riposte6 2001:db8::1\n',
  );
});
