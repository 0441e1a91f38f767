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

/**
 * Runs ticks 0..`to` - 1 at `everyMs / turns` apart (from time 0), marking the sockets' tick;
 * `each` (the links' traffic) runs before every tick.
 */
function run(
  live: Map<FakeSocket, HeartbeatPeer>,
  to: number,
  everyMs: number,
  each: (tick: number, now: number) => void = () => undefined,
): void {
  const step = everyMs / heartbeatTurns(everyMs);
  for (let tick = 0; tick < to; tick++) {
    each(tick, tick * step);
    for (const ws of live.keys()) {
      ws.tick = tick;
    }
    heartbeatTick(live, tick, tick * step, { everyMs, deadAfterMs: 3 * everyMs });
  }
}

test('1,666 links, a 10 s period: 40 turns, each link pinged once per period, at most 42 per tick', () => {
  assert.equal(heartbeatTurns(10_000), 10_000 / HEARTBEAT_SLICE_MS);
  const live = links(1_666);
  run(live, 80, 10_000);
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
    run(live, 3, everyMs);
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
        l.lastHeard = tick * 250; // answers every ping at once
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
  assert.deepEqual(warnings, ['Agent 001: link dropped (no pong or frame for 4 s).']);
});

test('a link busy both ways is not pinged; one that only hears, or only speaks, still is', () => {
  const live = links(4);
  const [busy, onlyHeard, onlySpoke, idle] = [...live.entries()];
  assert.ok(busy && onlyHeard && onlySpoke && idle);
  run(live, 40, 1_000, (_tick, now) => {
    // Orders out and acks back every 250 ms, as under load.
    busy[1].lastHeard = now;
    busy[1].lastSpoke = now;
    onlyHeard[1].lastHeard = now; // reports from the agent, nothing to it: it must hear a ping
    onlySpoke[1].lastSpoke = now; // orders to it, nothing back: it must be asked for a pong
    // idle: each ping answered at once
    idle[1].lastHeard = now;
  });
  assert.deepEqual(busy[0].pings, [], 'never');
  assert.equal(busy[0].terminated, false);
  assert.equal(onlyHeard[0].pings.length, 10, 'once per period');
  assert.equal(idle[0].pings.length, 10, 'once per period');
  // Pinged each period; no pong came back (the test does not answer), but it is not heard either:
  // dropped once three periods passed without a pong or a frame.
  assert.equal(onlySpoke[0].terminated, true);
});

test('frames count as a pong: a peer that sends frames and never a pong is kept', () => {
  const live = links(1);
  const [[ws, l]] = [...live.entries()] as [[FakeSocket, HeartbeatPeer]];
  run(live, 40, 1_000, (_tick, now) => {
    l.lastHeard = now; // its acks and reports
  });
  assert.equal(ws.terminated, false);
  assert.equal(ws.pings.length, 10, 'nothing went to it but pings: one per period');
});

test('when the traffic stops, the pings resume within a period; the agent hears something every 1.5 periods', () => {
  // A frame to the agent every 500 ms (at each of its turns, none older than half a period: no
  // ping) or every 750 ms (some turns find the last one half a period old: a ping), for 10 s.
  for (const [every, pingsDuring] of [
    [2, 0],
    [3, 3],
  ] as const) {
    const live = links(1);
    const [[ws, l]] = [...live.entries()] as [[FakeSocket, HeartbeatPeer]];
    const heard: number[] = []; // when the agent heard anything: a frame or a ping
    run(live, 80, 1_000, (tick, now) => {
      l.lastHeard = now; // it answers and reports throughout
      if (tick < 40 && tick % every === 0) {
        l.lastSpoke = now;
        heard.push(now);
      }
    });
    heard.push(...ws.pings.map((tick) => tick * 250));
    heard.sort((a, b) => a - b);
    const gaps = heard.slice(1).map((t, i) => t - (heard[i] ?? 0));
    assert.ok(Math.max(...gaps) <= 1_500, `the agent heard nothing for ${Math.max(...gaps)} ms`);
    assert.equal(ws.pings.filter((tick) => tick < 40).length, pingsDuring, ws.pings.join(','));
    // After the last frame (tick 38 or 39), a ping at the first turn that finds it half a period
    // old (tick 40 or 44), then one per period.
    const after = ws.pings.filter((tick) => tick >= 40);
    const first = every === 2 ? 40 : 44;
    assert.deepEqual(
      after,
      Array.from({ length: (80 - first) / 4 }, (_, k) => first + 4 * k),
      'once per period after it',
    );
  }
});
