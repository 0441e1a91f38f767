/**
 * `riposte start`'s execq relay to agent 000's thread (src/runtime/execq-relay.ts): each turn's
 * datagrams go in one message; what the thread has not acknowledged yet counts against the execq
 * limits, so a busy thread gets refusals (counted), not an unbounded message queue; an
 * acknowledgement, or the thread's end, makes room again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExecqRelay } from '../../../src/runtime/execq-relay.js';
import { ExecqAdmission } from '../../../src/agent/execq-admission.js';
import { rejectionCount } from '../../../src/protocol/input-rejections.js';
import { memoryDaemonLog } from '../../../src/log/daemon-log.js';
import { waitFor } from '../../manager/support/fleet.js';

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('one message per turn; unacknowledged texts count; an acknowledgement or the end makes room', async () => {
  const posted: string[][] = [];
  const relay = new ExecqRelay(
    (texts) => posted.push(texts),
    memoryDaemonLog(),
    new ExecqAdmission({ messages: 3, chars: 1_000 }),
  );
  const refusedBefore = rejectionCount('execq', 'rate-limited');
  for (const t of ['a', 'b', 'c', 'd', 'e']) {
    relay.onText(t);
  }
  await turn();
  assert.deepEqual(posted, [['a', 'b', 'c']], 'one message; past 3 waiting, refused');
  assert.equal(rejectionCount('execq', 'rate-limited') - refusedBefore, 2);
  relay.onText('f');
  await turn();
  assert.equal(posted.length, 1, 'nothing acknowledged yet: still full');
  relay.taken();
  await waitFor('room again', 5_000, async () => {
    relay.onText('g');
    await turn();
    return posted.flat().includes('g') ? true : undefined;
  });
  relay.releaseAll();
  await waitFor('room after the thread ended', 5_000, async () => {
    relay.onText('h');
    relay.onText('i');
    await turn();
    return posted.flat().includes('i') ? true : undefined;
  });
});
