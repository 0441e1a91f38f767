/** The order bus's NATS consumer watch (src/cluster/nats-consumer-watch.ts), with a scripted info. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isGone, watchConsumer } from '../../../src/cluster/nats-consumer-watch.js';
import { waitFor } from '../../manager/support/fleet.js';

/** An info that answers from `script` in turn, then its last entry forever ('ok' or an error message). */
function scripted(script: string[]): { info: () => Promise<unknown>; asked: () => number } {
  let asked = 0;
  return {
    info: () => {
      const answer = script[Math.min(asked, script.length - 1)] ?? 'ok';
      asked++;
      return answer === 'ok' ? Promise.resolve({}) : Promise.reject(new Error(answer));
    },
    asked: () => asked,
  };
}

/** Resolves once another watch of the same period has asked ten times (no sleep-then-assert). */
async function tenPeriods(): Promise<void> {
  const other = scripted(['ok']);
  const probe = watchConsumer(other.info, () => undefined, 5);
  try {
    await waitFor('another watch asking ten times', 10_000, () => (other.asked() >= 10 ? true : undefined));
  } finally {
    probe.stop();
  }
}

test('"stream not found" / "consumer not found" are a gone consumer; timeouts and disconnections are not', () => {
  assert.equal(isGone(new Error('stream not found')), true);
  assert.equal(isGone(new Error('consumer not found')), true);
  assert.equal(isGone(new Error('TIMEOUT')), false);
  assert.equal(isGone(new Error('CONNECTION_CLOSED')), false);
  assert.equal(isGone('stream not found'), true, 'whatever was thrown');
});

test('two "gone" answers in a row call onLost once, and the watch stops', async () => {
  const s = scripted(['ok', 'stream not found', 'stream not found']);
  const lost: string[] = [];
  const w = watchConsumer(s.info, (why) => lost.push(why), 5);
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

test('a single "gone" between answers that the consumer exists is not a loss; nor are timeouts', async () => {
  const script = [
    'consumer not found',
    'ok',
    'TIMEOUT',
    'consumer not found',
    'TIMEOUT',
    'consumer not found',
    'ok',
  ];
  const s = scripted(script);
  const lost: string[] = [];
  const w = watchConsumer(s.info, (why) => lost.push(why), 5);
  try {
    await waitFor('the whole script asked', 10_000, () => (s.asked() > script.length + 3 ? true : undefined));
    assert.deepEqual(lost, []);
  } finally {
    w.stop();
  }
});

test('stop() ends the asking', async () => {
  const s = scripted(['ok']);
  const w = watchConsumer(s.info, () => undefined, 5);
  await waitFor('a first ask', 10_000, () => (s.asked() > 0 ? true : undefined));
  w.stop();
  const asked = s.asked();
  await tenPeriods();
  assert.equal(s.asked(), asked, 'no ask after stop()');
});
