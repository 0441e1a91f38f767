/**
 * `GET /active-responses?ip=` (src/core/execd/active-filter.ts): an address matches whatever text
 * form the alert or the operator wrote it in (IPv6 case and compression, IPv4-mapped IPv6), and
 * nothing else matches, a text that is not an address included.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesActive, sameAddress } from '../../../src/core/execd/active-filter.js';
import type { ActiveResponse } from '../../../src/protocol/execution-records.js';

test('the same address in any written form; another address never', () => {
  const same: [string, string][] = [
    ['203.0.113.45', '203.0.113.45'],
    ['203.0.113.45', '::ffff:203.0.113.45'],
    ['::FFFF:203.0.113.45', '203.0.113.45'],
    ['203.0.113.45', '::ffff:cb00:712d'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:db8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:0db8::0001', '2001:db8::1'],
  ];
  for (const [a, b] of same) {
    assert.equal(sameAddress(a, b), true, `${a} = ${b}`);
    assert.equal(sameAddress(b, a), true, `${b} = ${a}`);
  }
  const other: [string, string][] = [
    ['203.0.113.45', '203.0.113.4'],
    ['2001:db8::1', '2001:db8::10'],
    ['::1', '127.0.0.1'],
    ['2001:db8::1', 'not:an:address'],
    ['x:y', 'X:Y'],
    // A bare prefix is no address: it does not become the empty text.
    ['::ffff:', ''],
  ];
  for (const [a, b] of other) {
    assert.equal(sameAddress(a, b), false, `${a} != ${b}`);
  }
});

test('matchesActive filters by agent, command (AR name or script) and address together', () => {
  const a = {
    key: 'firewall-drop-2001:db8::1',
    arName: 'firewall-drop600',
    program: 'active-response/bin/firewall-drop',
    agentId: '001',
    srcip: '2001:DB8:0::1',
  } as ActiveResponse;
  assert.equal(matchesActive(a, { ip: '2001:db8::1' }), true);
  assert.equal(matchesActive(a, { ip: '2001:db8::1', command: 'firewall-drop', agentId: '001' }), true);
  assert.equal(matchesActive(a, { ip: '2001:db8::1', command: 'route-null' }), false);
  assert.equal(matchesActive(a, { ip: '2001:db8::1', agentId: '002' }), false);
  assert.equal(matchesActive({ ...a, srcip: undefined }, { ip: '2001:db8::1' }), false);
});
