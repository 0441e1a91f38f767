/** Which sessions stop being read while their frames wait for the store (frame-backlog.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_BACKLOG_MARKS,
  FrameBacklog,
  overMarks,
  type BacklogMarks,
} from '../../../src/manager/frame-backlog.js';

const MARKS: BacklogMarks = { frames: 10, bytes: 1_000, sessionFrames: 4, sessionBytes: 400 };

/** Adds `n` frames of `bytes` from `session`; returns the indexes (0-based) at which it was paused. */
function send(backlog: FrameBacklog<string>, session: string, n: number, bytes: number): number[] {
  const paused: number[] = [];
  for (let i = 0; i < n; i++) {
    if (backlog.add(session, bytes)) {
      paused.push(i);
    }
  }
  return paused;
}

test('a session past its own frame mark is paused once, the others go on being read', () => {
  const backlog = new FrameBacklog<string>(MARKS);
  assert.deepEqual(send(backlog, 'noisy', 8, 1), [4], 'paused at its fifth frame, not again');
  assert.deepEqual(send(backlog, 'quiet', 1, 1), [], 'the overall backlog (9) is under its mark');
  assert.deepEqual(backlog.size, { frames: 9, bytes: 9 });
  assert.equal(backlog.pausedCount, 1);
});

test('a session past its own byte mark is paused, however few its frames', () => {
  const backlog = new FrameBacklog<string>(MARKS);
  assert.deepEqual(send(backlog, 'big', 3, 150), [2], '450 bytes > 400');
});

test('past an overall mark, every session that sends is paused, the ones that do not are not', () => {
  const backlog = new FrameBacklog<string>(MARKS);
  for (const s of ['a', 'b', 'c']) {
    assert.deepEqual(send(backlog, s, 3, 1), [], `${s}: 3 frames, under its own mark`);
  }
  assert.deepEqual(send(backlog, 'd', 1, 1), [], '10 frames overall: at the mark, not over');
  assert.deepEqual(send(backlog, 'e', 1, 1), [0], '11 frames: over');
  assert.deepEqual(send(backlog, 'a', 1, 1), [0], 'a sends more: paused too');
  assert.equal(backlog.pausedCount, 2, 'b, c and d sent nothing since: still read');
  const bytes = new FrameBacklog<string>(MARKS);
  assert.deepEqual(send(bytes, 'x', 3, 300), [1], 'x: own bytes');
  assert.deepEqual(send(bytes, 'y', 3, 50), [2], '900 bytes, then 950, 1,000 (at the mark), 1,050');
});

test('a batch takes the queue: every paused session is resumed once and the counts start over', () => {
  const backlog = new FrameBacklog<string>(MARKS);
  send(backlog, 'a', 5, 1);
  send(backlog, 'b', 5, 1);
  assert.deepEqual(backlog.take().sort(), ['a', 'b']);
  assert.deepEqual(backlog.size, { frames: 0, bytes: 0 });
  assert.equal(backlog.pausedCount, 0);
  assert.deepEqual(backlog.take(), [], 'nobody twice');
  assert.deepEqual(send(backlog, 'a', 5, 1), [4], 'paused again only past its mark again');
});

test('overMarks: each of the four marks alone is enough, at a mark is not over it', () => {
  const low = { frames: 0, bytes: 0 };
  assert.equal(overMarks({ frames: 4, bytes: 400 }, { frames: 10, bytes: 1_000 }, MARKS), false);
  assert.equal(overMarks({ frames: 5, bytes: 0 }, low, MARKS), true);
  assert.equal(overMarks({ frames: 0, bytes: 401 }, low, MARKS), true);
  assert.equal(overMarks(low, { frames: 11, bytes: 0 }, MARKS), true);
  assert.equal(overMarks(low, { frames: 0, bytes: 1_001 }, MARKS), true);
});

test("the manager's marks let a 5,000-agent fan-out's acks and reports through unpaused", () => {
  const backlog = new FrameBacklog<number>(DEFAULT_BACKLOG_MARKS);
  let paused = 0;
  for (let agent = 0; agent < 5_000; agent++) {
    paused += Number(backlog.add(agent, 30)); // its ack
    paused += Number(backlog.add(agent, 1_024)); // its execution report
  }
  assert.equal(paused, 0);
  const marks = DEFAULT_BACKLOG_MARKS;
  assert.ok(marks.sessionFrames < marks.frames && marks.sessionBytes < marks.bytes, 'one agent alone');
});

test('a session that cannot pause (agent 000) is counted but never held as paused', () => {
  const backlog = new FrameBacklog<string>(MARKS);
  const told = Array.from({ length: 8 }, () => backlog.add('000', 100, false));
  assert.deepEqual(told, Array<boolean>(8).fill(false), 'never asked to pause');
  assert.equal(backlog.pausedCount, 0, 'not counted as paused (riposte_link_paused_agents)');
  assert.deepEqual(backlog.size, { frames: 8, bytes: 800 }, 'its frames are counted');
  assert.equal(
    backlog.add('001', 300),
    true,
    'a pausable session sending now, over the overall marks, is paused',
  );
  assert.equal(backlog.pausedCount, 1);
});
