/** Who per-source limits count a peer against (src/core/net/traffic-source.ts): pure. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sourceKey, trafficSource } from '../../../src/core/net/traffic-source.js';

test('an IPv6 peer is its /64, expanded, with the groups after :: kept', () => {
  assert.equal(trafficSource('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(trafficSource('2001:0DB8:0001:0002:ffff:0:0:7'), '2001:db8:1:2::/64');
  assert.equal(trafficSource('2001:db8::'), '2001:db8:0:0::/64');
  assert.equal(trafficSource('2001::5:1:2:3:4'), '2001:0:0:5::/64', 'groups after :: kept');
  assert.equal(trafficSource('2001:0:0:5::1'), '2001:0:0:5::/64');
  assert.equal(trafficSource('fe80::1:2:3:4:5'), 'fe80:0:0:1::/64');
  assert.equal(trafficSource('::1'), '0:0:0:0::/64');
  assert.equal(trafficSource('fe80::1:2:3:4:5%eth0'), 'fe80:0:0:1::/64', 'a zone id left out');
});

test('an IPv4 peer is its address, ::ffff:a.b.c.d folded; no address is "unknown"', () => {
  assert.equal(trafficSource('192.0.2.7'), '192.0.2.7');
  assert.equal(trafficSource('::ffff:192.0.2.7'), '192.0.2.7');
  assert.equal(trafficSource('::FFFF:192.0.2.7'), '192.0.2.7');
  assert.equal(trafficSource(undefined), 'unknown');
  assert.equal(trafficSource(''), 'unknown');
  assert.equal(sourceKey('::ffff:10.0.0.1'), '10.0.0.1');
  assert.equal(sourceKey('2001:DB8::1'), '2001:db8::1', 'sourceKey keeps a whole IPv6 address');
});
