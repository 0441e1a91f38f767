/**
 * The order bus's NATS stream watch (src/cluster/nats-stream-watch.ts), with a scripted probe:
 * 'same' (the consumer's stream), 'again' (made again since), or an error message thrown.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isStreamGone, watchStream } from '../../../src/cluster/nats-stream-watch.js';
import { waitFor } from '../../manager/support/fleet.js';

/** A probe that answers from `script` in turn, then its last entry forever. */
function scripted(script: string[]): { probe: () => Promise<boolean>; asked: () => number } {
  let asked = 0;
  return {
    probe: () => {
      const answer = script[Math.min(asked, script.length - 1)] ?? 'same';
      asked++;
      if (answer === 'same' || answer === 'again') {
        return Promise.resolve(answer === 'same');
      }
      return Promise.reject(new Error(answer));
    },
    asked: () => asked,
  };
}

/** Resolves once another watch of the same period has asked ten times (no sleep-then-assert). */
async function tenPeriods(): Promise<void> {
  const other = scripted(['same']);
  const w = watchStream(other.probe, () => undefined, 5);
  try {
    await waitFor('another watch asking ten times', 10_000, () => (other.asked() >= 10 ? true : undefined));
  } finally {
    w.stop();
  }
}

test('"stream not found" is a gone stream; a missing consumer, timeouts and disconnections are not', () => {
  assert.equal(isStreamGone(new Error('stream not found')), true);
  assert.equal(isStreamGone('stream not found'), true, 'whatever was thrown');
  assert.equal(isStreamGone(new Error('consumer not found')), false, "the library's business");
  assert.equal(isStreamGone(new Error('TIMEOUT')), false);
  assert.equal(isStreamGone(new Error('CONNECTION_CLOSED')), false);
});

test('two "gone" answers in a row call onLost once, and the watch stops', async () => {
  const s = scripted(['same', 'stream not found', 'stream not found']);
  const lost: string[] = [];
  const w = watchStream(s.probe, (why) => lost.push(why), 5);
  try {
    await waitFor('the loss', 10_000, () => (lost.length > 0 ? true : undefined));
    const asked = s.asked();
    await tenPeriods();
    assert.equal(lost.length, 1);
    assert.match(lost[0] ?? '', /stream not found/);
    assert.equal(s.asked(), asked, 'stopped: no ask after the loss');
  } finally {
    w.stop();
  }
});

test('a stream made again since the consumer began is a loss too', async () => {
  const s = scripted(['same', 'again', 'stream not found']);
  const lost: string[] = [];
  const w = watchStream(s.probe, (why) => lost.push(why), 5);
  try {
    await waitFor('the loss', 10_000, () => (lost.length > 0 ? true : undefined));
    assert.match(lost[0] ?? '', /stream not found/, 'two answers in a row, either kind');
  } finally {
    w.stop();
  }
});

test('a single "gone" between answers that the stream is there is not a loss; nor are other errors', async () => {
  const script = [
    'again',
    'same',
    'TIMEOUT',
    'stream not found',
    'consumer not found',
    'stream not found',
    'TIMEOUT',
    'same',
  ];
  const s = scripted(script);
  const lost: string[] = [];
  const w = watchStream(s.probe, (why) => lost.push(why), 5);
  try {
    await waitFor('the whole script asked', 10_000, () => (s.asked() > script.length + 3 ? true : undefined));
    assert.deepEqual(lost, []);
  } finally {
    w.stop();
  }
});

test('stop() ends the asking', async () => {
  const s = scripted(['same']);
  const w = watchStream(s.probe, () => undefined, 5);
  await waitFor('a first ask', 10_000, () => (s.asked() > 0 ? true : undefined));
  w.stop();
  const asked = s.asked();
  await tenPeriods();
  assert.equal(s.asked(), asked, 'no ask after stop()');
});
