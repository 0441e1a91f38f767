/**
 * `riposte firewall flush` (issue #9 item 5, uninstall) inside a network namespace the test
 * creates: Riposte's nftables table, ipset sets with their iptables rules and route-null's
 * blackhole routes are removed; the administrator's own table, rules and routes are kept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { CLI } from '../e2e/support/daemon-harness.js';
import { inNs, netnsSkipReason } from './netns-fixture.js';

const skip = netnsSkipReason();

test('firewall flush removes only what Riposte created, and says so', { skip }, () => {
  const ns = `rip-${randomBytes(4).toString('hex')}-f`;
  spawnSync('ip', ['netns', 'add', ns]);
  try {
    inNs(ns, ['ip', 'link', 'set', 'lo', 'up']);
    inNs(ns, ['nft', '-f', '-'], {
      input:
        'add table inet riposte\nadd set inet riposte blocked4 { type ipv4_addr; }\nadd element inet riposte blocked4 { 192.0.2.7 }\n' +
        'add table inet admin\nadd chain inet admin input { type filter hook input priority 0; }\n',
    });
    inNs(ns, ['ipset', 'create', 'riposte4', 'hash:ip', 'family', 'inet']);
    inNs(ns, ['ipset', 'add', 'riposte4', '192.0.2.8']);
    inNs(ns, [
      'iptables',
      '-w',
      '10',
      '-I',
      'INPUT',
      '-m',
      'set',
      '--match-set',
      'riposte4',
      'src',
      '-j',
      'DROP',
    ]);
    inNs(ns, ['iptables', '-w', '10', '-I', 'INPUT', '-s', '192.0.2.99', '-j', 'ACCEPT']); // the admin's
    inNs(ns, ['ip', 'route', 'add', 'blackhole', '192.0.2.9/32', 'proto', '247']);
    inNs(ns, ['ip', 'route', 'add', 'blackhole', '192.0.2.10/32']); // the admin's, proto boot

    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, CLI, 'firewall', 'flush'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /^nftables table inet riposte: removed$/m);
    assert.match(r.stdout, /^ipset riposte4 and its iptables rules: removed$/m);
    assert.match(r.stdout, /^ipset riposte6 and its iptables rules: absent$/m);
    assert.match(r.stdout, /^IPv4 blackhole routes of route-null \(proto 247\): removed \(1 route\(s\)\)$/m);

    const tables = inNs(ns, ['nft', 'list', 'tables']);
    assert.ok(!tables.includes('inet riposte'), tables);
    assert.ok(tables.includes('inet admin'), tables);
    assert.equal(spawnSync('ip', ['netns', 'exec', ns, 'ipset', 'list', '-n', 'riposte4']).status, 1);
    const rules = inNs(ns, ['iptables', '-w', '10', '-S', 'INPUT']);
    assert.ok(!rules.includes('riposte4'), rules);
    assert.ok(rules.includes('-s 192.0.2.99/32 -j ACCEPT'), rules);
    const routes = inNs(ns, ['ip', 'route', 'show', 'type', 'blackhole']);
    assert.ok(!routes.includes('192.0.2.9'), routes);
    assert.ok(routes.includes('192.0.2.10'), routes);

    const again = spawnSync('ip', ['netns', 'exec', ns, process.execPath, CLI, 'firewall', 'flush'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /^nftables table inet riposte: absent$/m);
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
});
