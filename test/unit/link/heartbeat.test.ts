/**
 * The link server's heartbeat (heartbeat.ts): the links take turns, each pinged once per period,
 * a slice of them per tick instead of all at once; a dead link is dropped at its turn; a period no
 * longer than a slice keeps one turn (every link at every tick).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HEARTBEAT_SLICE_MS,
  HeartbeatTurns,
  heartbeatTick,
  heartbeatTurns,
  type HeartbeatPeer,
  type HeartbeatSocket,
} from '../../../src/link/heartbeat.js';
import { freshLiveness } from '../../../src/link/peer-liveness.js';

class FakeSocket implements HeartbeatSocket {
  pings: number[] = [];
  terminated = false;
  isPaused = false;
  bufferedAmount = 0;
  tick = -1;

  ping(): void {
    this.pings.push(this.tick);
  }

  terminate(): void {
    this.terminated = true;
  }
}

/** `n` links opened at time 0, their turns handed out as the link server does. */
function links(n: number): Map<FakeSocket, HeartbeatPeer> {
  const turns = new HeartbeatTurns();
  return new Map(
    Array.from({ length: n }, (_, i) => [
      new FakeSocket(),
      { ...freshLiveness(0), agentId: String(i + 1).padStart(3, '0'), turn: turns.next() },
    ]),
  );
}

/** Runs ticks `from`..`to` - 1 at `everyMs / turns` apart (from time 0), marking the sockets' tick. */
function run(live: Map<FakeSocket, HeartbeatPeer>, from: number, to: number, everyMs: number): void {
  const step = everyMs / heartbeatTurns(everyMs);
  for (let tick = from; tick < to; tick++) {
    for (const ws of live.keys()) {
      ws.tick = tick;
    }
    heartbeatTick(live, tick, tick * step, { everyMs, deadAfterMs: 3 * everyMs });
  }
}

test('1,666 links, a 10 s period: 40 turns, each link pinged once per period, at most 42 per tick', () => {
  assert.equal(heartbeatTurns(10_000), 10_000 / HEARTBEAT_SLICE_MS);
  const live = links(1_666);
  run(live, 0, 80, 10_000);
  const perTick = new Map<number, number>();
  for (const ws of live.keys()) {
    assert.equal(ws.pings.length, 2, 'two periods, two pings');
    const [first = -1, second = -1] = ws.pings;
    assert.equal(second - first, 40, 'one period apart');
    perTick.set(first, (perTick.get(first) ?? 0) + 1);
  }
  assert.equal(perTick.size, 40, 'every tick of a period pings some');
  assert.ok(Math.max(...perTick.values()) <= 42, `${Math.max(...perTick.values())} pings in one tick`);
});

test('a period no longer than a slice: one turn, every link at every tick', () => {
  for (const everyMs of [50, 200, 300]) {
    assert.equal(heartbeatTurns(everyMs), 1, `${everyMs} ms`);
    const live = links(5);
    run(live, 0, 3, everyMs);
    assert.deepEqual(
      [...live.keys()].map((ws) => ws.pings),
      Array.from({ length: 5 }, () => [0, 1, 2]),
    );
  }
});

test('a link without pongs is dropped at its own turn, and logged; a paused one is not', () => {
  const live = links(4);
  const [silent, paused, ...others] = [...live.keys()];
  assert.ok(silent && paused);
  paused.isPaused = true;
  const warnings: string[] = [];
  const everyMs = 1_000; // 4 turns of 250 ms; dead after 3 s without a pong
  for (let tick = 0; tick < 20; tick++) {
    for (const [ws, l] of live) {
      if (ws !== silent && ws !== paused && !ws.terminated) {
        l.lastPong = tick * 250; // answers every ping at once
      }
    }
    heartbeatTick(live, tick, tick * 250, {
      everyMs,
      deadAfterMs: 3_000,
      log: { warn: (m) => warnings.push(m) },
    });
  }
  assert.equal(silent.terminated, true);
  assert.equal(paused.terminated, false, 'not read (backpressure): its pongs wait unread');
  assert.ok(others.every((ws) => !ws.terminated));
  // Its turns come at 0, 1, 2, 3, 4 s: at 3 s it is at the limit, not past it; at 4 s it is dropped.
  assert.deepEqual(warnings, ['Agent 001: link dropped (no pong for 4 s).']);
});
