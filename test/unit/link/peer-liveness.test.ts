/**
 * When the link server drops an agent's connection (peer-liveness.ts): no pong, a buffer it never
 * reads, or no pong within PROBE_ANSWER_MS of a probe.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PROBE_ANSWER_MS,
  STUCK_BYTES,
  freshLiveness,
  probeLiveness,
  whyPeerIsDead,
  type PeerLiveness,
} from '../../../src/link/peer-liveness.js';

const DEAD_AFTER = 30_000;

const peerIsDead = (l: PeerLiveness, buffered: number, now: number, deadAfterMs: number): boolean =>
  whyPeerIsDead(l, buffered, now, deadAfterMs) !== undefined;

test('no pong for longer than the limit: dead', () => {
  const l = freshLiveness(0);
  assert.equal(peerIsDead(l, 0, 30_000, DEAD_AFTER), false);
  assert.equal(whyPeerIsDead(l, 0, 30_001, DEAD_AFTER), 'no pong or frame for 30 s');
});

test('pongs but an unread buffer over 1 MiB that never shrinks: dead after the limit', () => {
  const l = freshLiveness(0);
  const big = STUCK_BYTES + 1;
  for (let t = 10_000; t <= 40_000; t += 10_000) {
    l.lastHeard = t; // a compromised agent keeps answering pings
    assert.equal(peerIsDead(l, big + t, t, DEAD_AFTER), false, `at ${t} ms`);
  }
  l.lastHeard = 50_000;
  assert.equal(peerIsDead(l, big + 50_000, 50_000, DEAD_AFTER), true, 'stuck since 10 s, now 50 s');
});

test('a large buffer that drains between beats, or a small one, keeps the peer', () => {
  const l = freshLiveness(0);
  let buffered = 50 * STUCK_BYTES; // a backlog sent at a hello, read slowly
  for (let t = 10_000; t <= 200_000; t += 10_000) {
    l.lastHeard = t;
    buffered -= STUCK_BYTES / 10;
    assert.equal(peerIsDead(l, buffered, t, DEAD_AFTER), false, `at ${t} ms`);
  }
  const small = freshLiveness(0);
  for (let t = 10_000; t <= 100_000; t += 10_000) {
    small.lastHeard = t;
    assert.equal(peerIsDead(small, STUCK_BYTES, t, DEAD_AFTER), false);
  }
});

test('a probe not answered within PROBE_ANSWER_MS: dead, long before the limit', () => {
  const l = freshLiveness(0);
  l.lastHeard = 1_000;
  probeLiveness(l, 2_000);
  assert.equal(peerIsDead(l, 0, 2_000 + PROBE_ANSWER_MS, DEAD_AFTER), false);
  probeLiveness(l, 4_000); // probing again gives no more time
  assert.equal(
    whyPeerIsDead(l, 0, 2_001 + PROBE_ANSWER_MS, DEAD_AFTER),
    'no pong or frame within 5 s of a probe',
  );
});

test('a probe answered (a pong at or after it) keeps the peer, and a later probe counts from its own time', () => {
  const l = freshLiveness(0);
  probeLiveness(l, 2_000);
  l.lastHeard = 2_050;
  assert.equal(peerIsDead(l, 0, 20_000, DEAD_AFTER), false);
  assert.equal(l.probedAt, undefined, 'the answered probe is forgotten');
  probeLiveness(l, 21_000);
  assert.equal(peerIsDead(l, 0, 21_000 + PROBE_ANSWER_MS, DEAD_AFTER), false);
  assert.equal(peerIsDead(l, 0, 21_001 + PROBE_ANSWER_MS, DEAD_AFTER), true);
});
