/** When the link server drops an agent's connection (peer-liveness.ts): no pong, or a buffer it never reads. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STUCK_BYTES, freshLiveness, peerIsDead } from '../../../src/link/peer-liveness.js';

const DEAD_AFTER = 30_000;

test('no pong for longer than the limit: dead', () => {
  const l = freshLiveness(0);
  assert.equal(peerIsDead(l, 0, 30_000, DEAD_AFTER), false);
  assert.equal(peerIsDead(l, 0, 30_001, DEAD_AFTER), true);
});

test('pongs but an unread buffer over 1 MiB that never shrinks: dead after the limit', () => {
  const l = freshLiveness(0);
  const big = STUCK_BYTES + 1;
  for (let t = 10_000; t <= 40_000; t += 10_000) {
    l.lastPong = t; // a compromised agent keeps answering pings
    assert.equal(peerIsDead(l, big + t, t, DEAD_AFTER), false, `at ${t} ms`);
  }
  l.lastPong = 50_000;
  assert.equal(peerIsDead(l, big + 50_000, 50_000, DEAD_AFTER), true, 'stuck since 10 s, now 50 s');
});

test('a large buffer that drains between beats, or a small one, keeps the peer', () => {
  const l = freshLiveness(0);
  let buffered = 50 * STUCK_BYTES; // a backlog sent at a hello, read slowly
  for (let t = 10_000; t <= 200_000; t += 10_000) {
    l.lastPong = t;
    buffered -= STUCK_BYTES / 10;
    assert.equal(peerIsDead(l, buffered, t, DEAD_AFTER), false, `at ${t} ms`);
  }
  const small = freshLiveness(0);
  for (let t = 10_000; t <= 100_000; t += 10_000) {
    small.lastPong = t;
    assert.equal(peerIsDead(small, STUCK_BYTES, t, DEAD_AFTER), false);
  }
});
