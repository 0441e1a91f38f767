/**
 * White-list networks (IPv4 and IPv6) compiled from `<white_list>` entries: every address inside a
 * generated CIDR is contained, every address outside is not.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatIp, networkContains, type IpAddress } from '../../../src/core/net/ip.js';
import { okConfig } from './helpers.js';

interface Case {
  readonly net: Uint8Array;
  readonly prefix: number;
  readonly host: Uint8Array;
  /** A bit index inside the prefix to flip for an outside address; -1 when the prefix is 0. */
  readonly flip: number;
}

function caseArb(bytes: 4 | 16): fc.Arbitrary<Case> {
  const bits = bytes * 8;
  const arr = fc.uint8Array({ minLength: bytes, maxLength: bytes });
  return fc
    .tuple(arr, fc.integer({ min: 0, max: bits }), arr, fc.nat())
    .map(([net, prefix, host, n]) => ({ net, prefix, host, flip: prefix === 0 ? -1 : n % prefix }));
}

const getBit = (b: Uint8Array, i: number): number => ((b[i >> 3] ?? 0) >> (7 - (i & 7))) & 1;

/** Network bits from `net`, host bits from `host`. */
function combine(net: Uint8Array, host: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(net.length);
  for (let i = 0; i < net.length * 8; i++) {
    const bit = i < prefix ? getBit(net, i) : getBit(host, i);
    out[i >> 3] = (out[i >> 3] ?? 0) | (bit << (7 - (i & 7)));
  }
  return out;
}

function flipBit(b: Uint8Array, i: number): Uint8Array {
  const out = Uint8Array.from(b);
  out[i >> 3] = (out[i >> 3] ?? 0) ^ (1 << (7 - (i & 7)));
  return out;
}

function check(version: 4 | 6, c: Case): void {
  const addr = (bytes: Uint8Array): IpAddress => ({ version, bytes });
  const entry = `${formatIp(addr(c.net))}/${c.prefix}`;
  const cfg = okConfig(`<ossec_config><global><white_list>${entry}</white_list></global></ossec_config>`);
  const net = cfg.whiteList.networks[0];
  assert.ok(net, entry);
  assert.equal(cfg.whiteList.patterns.length, 0);
  const inside = combine(c.net, c.host, c.prefix);
  assert.equal(networkContains(net, addr(inside)), true, `${formatIp(addr(inside))} in ${entry}`);
  if (c.flip >= 0) {
    const outside = flipBit(inside, c.flip);
    assert.equal(networkContains(net, addr(outside)), false, `${formatIp(addr(outside))} not in ${entry}`);
  }
}

void describe('white-list networks (property)', () => {
  void test('IPv4: inside a generated CIDR is contained, outside is not', () => {
    fc.assert(
      fc.property(caseArb(4), (c) => {
        check(4, c);
      }),
      { numRuns: 300 },
    );
  });

  void test('IPv6: inside a generated CIDR is contained, outside is not (Riposte: real networks)', () => {
    fc.assert(
      fc.property(caseArb(16), (c) => {
        check(6, c);
      }),
      { numRuns: 300 },
    );
  });
});
