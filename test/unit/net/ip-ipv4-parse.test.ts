/**
 * parseIp's IPv4 part is a one-pass scanner (it runs several times per execution of a burst). It
 * must accept exactly what the written rule accepts: four dot-separated decimal octets 0-255
 * without leading zeros, nothing around them; and formatIp must give the dotted quad back. The
 * rule is restated here as the regex the scanner replaced, and both are compared on edge cases and
 * generated near-addresses, also as the IPv4 tail of an IPv6 address.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatIp, parseIp } from '../../../src/core/net/ip.js';

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** The rule, as written before: the four octets' values, or undefined. */
function byRule(text: string): number[] | undefined {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => OCTET.test(p)) ? parts.map(Number) : undefined;
}

function check(text: string): void {
  const want = byRule(text);
  const got = parseIp(text);
  if (want === undefined) {
    assert.ok(got?.version !== 4, `${JSON.stringify(text)} is not an IPv4 address`);
    return;
  }
  assert.deepEqual(got, { version: 4, bytes: Uint8Array.from(want) }, JSON.stringify(text));
  assert.equal(formatIp(got), want.join('.'));
  const mapped = parseIp(`::ffff:${text}`);
  assert.deepEqual(Array.from(mapped?.bytes.slice(12) ?? []), want, `::ffff:${text}`);
}

test('edge cases agree with the rule', () => {
  for (const text of [
    '0.0.0.0',
    '255.255.255.255',
    '198.18.39.16',
    '01.2.3.4',
    '1.02.3.4',
    '1.2.3.00',
    '1.2.3',
    '1.2.3.4.',
    '.1.2.3.4',
    '1.2.3.4.5',
    '256.1.1.1',
    '1.2.3.260',
    '1..2.3',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '1.2.3.4\n',
    '1.2.3.1234',
    '',
    '1.2.3.a',
    '١.٢.٣.٤',
    '1.2.3.-4',
    '+1.2.3.4',
  ]) {
    check(text);
  }
});

test('generated near-addresses agree with the rule (property)', () => {
  const part = fc.oneof(
    fc.integer({ min: 0, max: 300 }).map(String),
    fc.constantFrom('00', '01', '000', '', 'x', '1a', ' 1', '2 ', '0x1'),
  );
  fc.assert(
    fc.property(fc.array(part, { minLength: 1, maxLength: 6 }), (parts) => {
      check(parts.join('.'));
    }),
    { numRuns: 2000 },
  );
});
