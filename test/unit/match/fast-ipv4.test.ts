import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { findIpv4Range, ipv4Ranges, parseIpv4Number } from '../../../src/core/match/fast-ipv4.js';
import { parseIp, parseNetwork, type IpNetwork } from '../../../src/core/net/ip.js';

function expected(text: string): number {
  const a = parseIp(text);
  if (a?.version !== 4) {
    return -1;
  }
  return a.bytes.reduce((n, b) => n * 256 + b, 0);
}

void describe('parseIpv4Number', () => {
  const cases = [
    '0.0.0.0',
    '255.255.255.255',
    '1.2.3.4',
    '01.2.3.4',
    '1.2.3',
    '1.2.3.4.',
    '1.2.3.4.5',
    '256.1.1.1',
    '1..2.3',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '1.2.3.1234',
    '::ffff:1.2.3.4',
    '',
    '1.2.3.a',
  ];
  for (const c of cases) {
    void test(`agrees with parseIp on ${JSON.stringify(c)}`, () => {
      assert.equal(parseIpv4Number(c), expected(c));
    });
  }

  void test('agrees with parseIp on generated near-addresses (property)', () => {
    const part = fc.oneof(
      fc.integer({ min: 0, max: 300 }).map(String),
      fc.constantFrom('00', '01', '', 'x', '1a'),
    );
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 5 }), (parts) => {
        const text = parts.join('.');
        assert.equal(parseIpv4Number(text), expected(text));
      }),
    );
  });

  void test('ranges contain exactly what networkContains would', () => {
    const nets = ['10.0.0.0/8', '192.168.1.0/255.255.255.0', '0.0.0.0/0', '2001:db8::/32', '203.0.113.7'].map(
      (t) => parseNetwork(t) as IpNetwork,
    );
    const ranges = ipv4Ranges(nets);
    assert.equal(ranges.length, 4);
    assert.equal(findIpv4Range(ranges.slice(0, 2), parseIpv4Number('10.255.0.1'))?.net.text, '10.0.0.0/8');
    assert.equal(findIpv4Range(ranges.slice(1, 2), parseIpv4Number('192.168.2.1')), undefined);
    assert.equal(findIpv4Range(ranges.slice(2, 3), parseIpv4Number('8.8.8.8'))?.net.text, '0.0.0.0/0');
    assert.equal(findIpv4Range(ranges.slice(3), parseIpv4Number('203.0.113.7'))?.net.text, '203.0.113.7');
    assert.equal(findIpv4Range(ranges.slice(3), parseIpv4Number('203.0.113.8')), undefined);
  });
});
