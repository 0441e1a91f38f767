/** Reference §3.7: `<global><white_list>` and `<cluster><node_name>`. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { networkContains, parseIp } from '../../../src/core/net/ip.js';
import { at, errorsOf, okConfig } from './helpers.js';

const global = (...entries: string[]): string =>
  `<ossec_config>\n<global>\n${entries.map((e) => `<white_list>${e}</white_list>`).join('\n')}\n</global>\n</ossec_config>`;

void describe('<white_list> (reference §3.7)', () => {
  void test('IPv4 addresses, CIDRs and dotted masks are networks', () => {
    const wl = okConfig(global('127.0.0.1', '10.0.0.0/8', '192.168.1.0/255.255.255.0')).whiteList;
    assert.deepEqual(
      wl.networks.map((n) => [n.text, n.prefix]),
      [
        ['127.0.0.1', 32],
        ['10.0.0.0/8', 8],
        ['192.168.1.0/255.255.255.0', 24],
      ],
    );
    assert.equal(wl.patterns.length, 0);
  });

  void test('IPv6 addresses and CIDRs are real networks, not substrings (Riposte)', () => {
    const wl = okConfig(global('2001:db8::/32', '::1')).whiteList;
    assert.deepEqual(
      wl.networks.map((n) => n.prefix),
      [32, 128],
    );
    const net = wl.networks[0];
    assert.ok(net);
    const inside = parseIp('2001:db8:ffff::1');
    const outside = parseIp('2001:db9::1');
    assert.ok(inside && outside);
    assert.equal(networkContains(net, inside), true);
    assert.equal(networkContains(net, outside), false);
  });

  void test('other entries are OSMatch hostname patterns (case-insensitive, ^ $ |)', () => {
    const wl = okConfig(global('^localhost.localdomain$', 'example.com|^gw')).whiteList;
    assert.deepEqual(wl.entries, ['^localhost.localdomain$', 'example.com|^gw']);
    const [host, multi] = wl.patterns;
    assert.ok(host && multi);
    assert.equal(host.test('LOCALHOST.localdomain'), true);
    assert.equal(host.test('localhost.localdomain.evil'), false);
    assert.equal(host.test('localhostxlocaldomain'), false);
    assert.equal(multi.test('www.example.com.au'), true);
    assert.equal(multi.test('gw1'), true);
    assert.equal(multi.test('my-gw'), false);
  });

  for (const v of [
    '999.1.1.1',
    '10.0.0.0/33',
    '10.0.0.1/255.0.255.0',
    '01.2.3.4',
    '2001:db8::/129',
    'fe80::1%eth0',
  ]) {
    void test(`an entry meant as an address that does not parse is 1237: '${v}'`, () => {
      assert.deepEqual(errorsOf(global(v)), [at(3, `(1237) Invalid ip address: '${v}'.`)]);
    });
  }

  void test('negated entries are refused (1237)', () => {
    assert.deepEqual(errorsOf(global('!10.0.0.1')), [
      at(3, "(1237) Invalid ip address: '!10.0.0.1'. Negated white-list entries are not supported."),
    ]);
  });

  void test('a negated pattern is refused too (Wazuh reads it as "every source but")', () => {
    assert.deepEqual(errorsOf(global('!^192.168.')), [
      at(3, "(1237) Invalid ip address: '!^192.168.'. Negated white-list entries are not supported."),
    ]);
  });

  void test('an empty white_list is 1234', () => {
    assert.deepEqual(errorsOf(global('')), [at(3, '(1234) Invalid NULL content for element: white_list.')]);
  });

  void test('white_list entries from several <global> sections are all kept, in order', () => {
    const xml = `<ossec_config><global><white_list>1.1.1.1</white_list></global></ossec_config>
<ossec_config><global><white_list>host</white_list><white_list>2.2.2.2</white_list></global></ossec_config>`;
    assert.deepEqual(okConfig(xml).whiteList.entries, ['1.1.1.1', 'host', '2.2.2.2']);
  });

  void test('a white_list outside <global> is not read', () => {
    assert.deepEqual(
      okConfig('<ossec_config><white_list>1.1.1.1</white_list></ossec_config>').whiteList.entries,
      [],
    );
  });
});

void describe('<cluster><node_name>', () => {
  void test('node_name is read; "undefined" when absent, as analysisd writes it', () => {
    assert.equal(
      okConfig('<ossec_config><cluster><node_name>node01</node_name></cluster></ossec_config>').nodeName,
      'node01',
    );
    assert.equal(
      okConfig('<ossec_config><cluster><disabled>yes</disabled></cluster></ossec_config>').nodeName,
      'undefined',
    );
  });
});
