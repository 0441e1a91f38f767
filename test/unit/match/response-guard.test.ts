/**
 * Issue 13.6 and 13.8 at the unit level: never-block addresses in every written form, the white
 * list for operator runs, stateless blocks refused, and quarantine's roots never from arguments.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { neverBlockReason, protectedAddresses } from '../../../src/core/match/never-block.js';
import { operatorRunRefusal, type GuardInput } from '../../../src/core/match/response-guard.js';
import { makeConfig } from './config-builder.js';

const extra = protectedAddresses([
  ['192.0.2.10', 'an address of this host'],
  ['fe80::1%eth0', 'an address of this host'],
  ['198.51.100.7', "this agent's manager (link peer)"],
]);

void describe('never-block addresses', () => {
  for (const ip of [
    '127.0.0.1',
    '127.255.0.9',
    '::1',
    '::ffff:127.0.0.1',
    '::FFFF:7f00:1',
    '0:0:0:0:0:ffff:7f00:1',
  ]) {
    void test(`${ip} is loopback`, () => {
      assert.equal(neverBlockReason(ip, extra), 'a loopback address');
    });
  }
  for (const ip of ['0.0.0.0', '::', '::ffff:0.0.0.0']) {
    void test(`${ip} is unspecified`, () => {
      assert.equal(neverBlockReason(ip, extra), 'the unspecified address');
    });
  }
  void test('255.255.255.255 (and its mapped form) is broadcast', () => {
    assert.equal(neverBlockReason('255.255.255.255', extra), 'the broadcast address');
    assert.equal(neverBlockReason('::ffff:255.255.255.255', extra), 'the broadcast address');
  });
  void test("the host's own addresses and the link peer, in any form", () => {
    assert.equal(neverBlockReason('192.0.2.10', extra), 'an address of this host');
    assert.equal(neverBlockReason('::ffff:192.0.2.10', extra), 'an address of this host');
    assert.equal(neverBlockReason('FE80:0::1', extra), 'an address of this host');
    assert.equal(neverBlockReason('198.51.100.7', extra), "this agent's manager (link peer)");
  });
  void test('ordinary addresses and non-addresses pass', () => {
    for (const ip of ['10.0.0.1', '2001:db8::1', '192.0.2.11', 'not-an-ip', '']) {
      assert.equal(neverBlockReason(ip, extra), undefined, ip);
    }
  });
});

void describe('operator runs (PUT /active-response, ar run)', () => {
  const base: GuardInput = {
    command: 'firewall-drop600',
    program: 'firewall-drop',
    timeoutSec: 600,
    arguments: [],
    alert: { data: { srcip: '10.9.9.9' } },
    whiteList: makeConfig({ networks: ['10.1.2.0/24'] }).whiteList,
    protectedAddresses: extra,
  };
  void test('an ordinary target passes', () => {
    assert.equal(operatorRunRefusal(base), undefined);
  });
  void test('a white-listed target is refused, mapped form included', () => {
    for (const srcip of ['10.1.2.3', '::ffff:10.1.2.3']) {
      const r = operatorRunRefusal({ ...base, alert: { data: { srcip } } });
      assert.match(r ?? '', /is white-listed \(10\.1\.2\.0\/24\)/);
    }
  });
  void test('a program named after an Object property is looked up as any other', () => {
    for (const program of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const run = { ...base, command: `!${program}`, program, arguments: ['--x'] };
      assert.equal(operatorRunRefusal(run), undefined, program);
    }
  });
  void test('every path a script reads the target from is checked', () => {
    const alert = { data: { win: { eventdata: { ipAddress: '::ffff:127.0.0.1' } }, srcip: '10.9.9.9' } };
    assert.match(operatorRunRefusal({ ...base, alert }) ?? '', /loopback/);
  });
  void test('!firewall-drop (no timeout) is refused: it could never be listed or reverted', () => {
    const r = operatorRunRefusal({ ...base, command: '!firewall-drop', timeoutSec: 0 });
    assert.match(r ?? '', /no timeout/);
    assert.equal(
      operatorRunRefusal({ ...base, command: '!notify', program: 'notify', timeoutSec: 0 }),
      undefined,
    );
  });
  void test("quarantine's --allow never comes from arguments (issue 13.8)", () => {
    const q = { ...base, command: 'quarantine600', program: 'quarantine' };
    for (const args of [['--allow', '/tmp'], ['--allow=/etc'], ['x', '--allow', '/']]) {
      assert.match(
        operatorRunRefusal({ ...q, arguments: args }) ?? '',
        /--allow comes from the configuration only/,
      );
    }
    assert.equal(operatorRunRefusal({ ...q, arguments: [] }), undefined);
  });
});
