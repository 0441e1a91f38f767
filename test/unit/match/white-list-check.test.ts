import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { stripMappedPrefix, whiteListMatch } from '../../../src/core/match/white-list-check.js';
import { makeConfig } from './config-builder.js';

const { whiteList } = makeConfig({
  networks: ['127.0.0.1', '10.0.0.0/8', '192.168.1.0/255.255.255.0', '2001:db8:ffff::/48'],
  patterns: ['^localhost.localdomain$', 'trusted'],
});

const cases: { name: string; srcip: string; entry: string | undefined }[] = [
  { name: 'single IPv4 entry', srcip: '127.0.0.1', entry: '127.0.0.1' },
  { name: 'IPv4 CIDR', srcip: '10.20.30.40', entry: '10.0.0.0/8' },
  { name: 'IPv4 dotted netmask', srcip: '192.168.1.77', entry: '192.168.1.0/255.255.255.0' },
  { name: 'IPv4 outside every network', srcip: '192.168.2.1', entry: undefined },
  { name: '::ffff: mapped IPv4 is stripped', srcip: '::ffff:10.1.2.3', entry: '10.0.0.0/8' },
  // The scripts act on the IPv4 address of any mapped spelling: none gets it past the list.
  { name: 'mapped IPv4 in hex is its IPv4 address', srcip: '::ffff:a01:203', entry: '10.0.0.0/8' },
  { name: 'mapped IPv4 uncompressed', srcip: '0:0:0:0:0:ffff:10.1.2.3', entry: '10.0.0.0/8' },
  { name: 'mapped IPv4 in hex, upper case', srcip: '::FFFF:7F00:1', entry: '127.0.0.1' },
  { name: 'mapped IPv4 in hex outside every network', srcip: '::ffff:c0a8:202', entry: undefined },
  { name: 'IPv6 network', srcip: '2001:db8:ffff:1::10', entry: '2001:db8:ffff::/48' },
  { name: 'IPv6 just outside the network', srcip: '2001:db8:fffe::10', entry: undefined },
  {
    name: 'IPv6 compressed differently still matches',
    srcip: '2001:0db8:ffff:0000:0000:0000:0000:0001',
    entry: '2001:db8:ffff::/48',
  },
  { name: 'anchored hostname pattern', srcip: 'localhost.localdomain', entry: '^localhost.localdomain$' },
  { name: 'substring hostname pattern', srcip: 'host-trusted-01', entry: 'trusted' },
  { name: 'not an address and no pattern', srcip: 'evil.example', entry: undefined },
];

void describe('whiteListMatch', () => {
  for (const c of cases) {
    void test(c.name, () => {
      assert.equal(whiteListMatch(whiteList, c.srcip), c.entry);
    });
  }

  void test('empty white list matches nothing', () => {
    assert.equal(whiteListMatch(makeConfig().whiteList, '127.0.0.1'), undefined);
  });

  void test('an IPv6 entry covering mapped addresses matches them as written', () => {
    const mapped = makeConfig({ networks: ['::ffff:0:0/96'] }).whiteList;
    assert.equal(whiteListMatch(mapped, '::ffff:a01:203'), '::ffff:0:0/96');
    assert.equal(whiteListMatch(mapped, '10.1.2.3'), undefined, 'an IPv4 source is not an IPv6 one');
  });

  void test('stripMappedPrefix strips only a leading ::ffff:', () => {
    assert.equal(stripMappedPrefix('::FFFF:1.2.3.4'), '1.2.3.4');
    assert.equal(stripMappedPrefix('2001:db8::ffff:1.2.3.4'), '2001:db8::ffff:1.2.3.4');
    assert.equal(stripMappedPrefix('::ffff:'), '::ffff:');
  });
});
