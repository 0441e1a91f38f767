/**
 * parseIp's IPv4 rule (read by char code since issue #12's bulk re-apply) against the rule it
 * documents, written as the regular expression it replaced: four decimal octets 0-255, no leading
 * zeros, nothing else. And formatIp gives back exactly the accepted text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIp, parseIp } from '../../../src/core/net/ip.js';

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const byTheRule = (text: string): boolean => {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => OCTET.test(p));
};

const FIXED = [
  '1.2.3.4',
  '0.0.0.0',
  '255.255.255.255',
  '256.1.1.1',
  '01.2.3.4',
  '1.2.3.04',
  '00.0.0.0',
  '1.2.3',
  '1.2.3.4.',
  '.1.2.3',
  '1..2.3',
  '1.2.3.4.5',
  ' 1.2.3.4',
  '1.2.3.4 ',
  '1.2.3.a',
  '１.2.3.4',
  '1.2.3.٣',
  '1.2.3.-1',
  '1e2.0.0.0',
  '+1.2.3.4',
  '1000.0.0.0',
  '',
  '....',
];

void test('IPv4 text accepted exactly by the documented rule, and formatted back unchanged', () => {
  // Deterministic generator: octets near the edges, leading zeros, empty parts, 1-5 parts.
  let seed = 12;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const pieces = [
    '0',
    '00',
    '07',
    '9',
    '10',
    '99',
    '100',
    '199',
    '200',
    '249',
    '250',
    '255',
    '256',
    '300',
    '',
    'x',
  ];
  const generated = Array.from({ length: 20_000 }, () =>
    Array.from({ length: 1 + next(5) }, () => pieces[next(pieces.length)] ?? '').join('.'),
  );
  for (const text of [...FIXED, ...generated]) {
    const ip = parseIp(text);
    assert.equal(ip?.version === 4, byTheRule(text), JSON.stringify(text));
    if (ip?.version === 4) {
      assert.equal(formatIp(ip), text);
    }
  }
});

void test('an IPv4 tail inside IPv6 follows the same rule', () => {
  assert.equal(parseIp('::ffff:1.2.3.4')?.version, 6);
  assert.equal(parseIp('::ffff:01.2.3.4'), undefined);
  assert.equal(parseIp('::ffff:1.2.3.256'), undefined);
});
