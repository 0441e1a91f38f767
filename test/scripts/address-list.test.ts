/**
 * The re-apply form's address list (scripts/firewall/address-list.ts): one text of many keys is
 * checked element by element exactly as firewall-drop's input check would check each key, and the
 * nft statements built from it carry only checked addresses, in their canonical text.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatIp, parseIp } from '../../src/core/net/ip.js';
import {
  addressText,
  elementText,
  INVALID,
  IPV4,
  IPV6,
  readAddressList,
} from '../../src/scripts/firewall/address-list.js';
import { addressListOps, nftBatchScript } from '../../src/scripts/firewall/nftables.js';

/** What firewall-drop's per-key path acts on for `key`: its family and canonical text, or invalid. */
function perKey(key: string): [number, string?] {
  const ip = parseIp(key);
  return ip === undefined ? [INVALID] : [ip.version === 4 ? IPV4 : IPV6, formatIp(ip)];
}

function agreesPerKey(keys: readonly string[]): void {
  const list = readAddressList(keys.join(','), keys.length);
  assert.ok(list !== undefined, JSON.stringify(keys));
  keys.forEach((key, i) => {
    assert.equal(elementText(list, i), key);
    const [family, text] = perKey(key);
    assert.equal(list.family[i], family, key);
    assert.equal(addressText(list, i), text, key);
  });
  assert.equal(
    list.allV4,
    keys.every((k) => perKey(k)[0] === IPV4),
  );
}

void describe('readAddressList', () => {
  void test('edge cases: each element checked as the per-key path checks it', () => {
    agreesPerKey(['198.18.0.1', '0.0.0.0', '255.255.255.255']);
    agreesPerKey([
      '198.18.0.1',
      '01.2.3.4',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '',
      ' 1.2.3.4',
      '2001:DB8:0:0::1',
      '::ffff:1.2.3.4',
      'fe80::1%eth0',
      '1.2.3.4;reboot',
      ':',
      'x',
    ]);
  });

  void test('generated near-addresses agree with the per-key check (property)', () => {
    const octet = fc.oneof(
      fc.integer({ min: 0, max: 300 }).map(String),
      fc.constantFrom('00', '01', '', 'a'),
    );
    const v4 = fc.array(octet, { minLength: 3, maxLength: 5 }).map((p) => p.join('.'));
    const v6 = fc
      .array(fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF.x'.split('')), maxLength: 5 }), {
        minLength: 2,
        maxLength: 9,
      })
      .map((p) => p.join(':'));
    fc.assert(
      fc.property(fc.array(fc.oneof(v4, v6), { minLength: 1, maxLength: 20 }), (keys) => {
        fc.pre(keys.every((k) => !k.includes(',')));
        agreesPerKey(keys);
      }),
    );
  });

  void test('a text that is not `count` elements is refused as a whole', () => {
    assert.equal(readAddressList('1.2.3.4,5.6.7.8', 1), undefined, 'a key holding a comma');
    assert.equal(readAddressList('1.2.3.4', 2), undefined);
    assert.equal(readAddressList('1.2.3.4', 0), undefined);
    assert.deepEqual(readAddressList('', 0)?.count, 0);
    assert.equal(readAddressList('', 1)?.family[0], INVALID, 'one empty key: an invalid element');
  });
});

void describe('addressListOps', () => {
  void test('IPv4 only: each run is one slice of the text, at most 1,000 elements', () => {
    const keys = Array.from({ length: 2_500 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    const list = readAddressList(keys.join(','), keys.length);
    assert.ok(list);
    const ops = addressListOps(list, 0, list.count);
    assert.deepEqual(
      ops.map((o) => o.elements.split(',').length),
      [1000, 1000, 500],
    );
    assert.equal(ops.map((o) => o.elements).join(','), keys.join(','));
    assert.deepEqual(
      addressListOps(list, 999, 1001).map((o) => o.elements),
      [`${keys[999] ?? ''},${keys[1000] ?? ''}`],
    );
  });

  void test('mixed: IPv6 in canonical text in its own set, invalid elements left out', () => {
    const keys = ['192.0.2.1', '2001:DB8::0:1', 'nope', '192.0.2.2', '1.2.3.4 ; x'];
    const list = readAddressList(keys.join(','), keys.length);
    assert.ok(list);
    const script = nftBatchScript(addressListOps(list, 0, list.count), 'none');
    assert.equal(
      script,
      'add element inet riposte blocked4 { 192.0.2.1,192.0.2.2 }\nadd element inet riposte blocked6 { 2001:db8::1 }\n',
    );
    assert.deepEqual(addressListOps(list, 2, 3), [], 'only an invalid element: nothing to run');
  });
});
