/**
 * The cluster sweep's early look at a newcomer (src/cluster/sweep-newcomers.ts), two nodes in one
 * process on a private PostgreSQL: an order committed on A just after the agent's hello on B read
 * its queue, and never handed to B (as when A handed it to the node the agent had just left, dead),
 * reaches the agent through B's sweep within a few ticks of the hello, although the sweep's round
 * would re-send it only once it is `staleAfterMs` old (here 10 minutes: never in this test). The
 * order queued before the hello, sent after the welcome and not acked (an agent working through a
 * backlog), is not sent again.
 *
 * Timing: the order is committed within ~100 ms of the agent being ready; the newcomer is swept at
 * B's second tick after its hello, at least 2 s after it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MARK_ALL_CONF, nodeAt, recordingSession, twoNodesInProcess } from './support/two-nodes.js';
import { waitFor } from '../manager/support/fleet.js';
import { agentRecord, newOrder } from '../contract/manager-store.fixtures.js';
import type { NewOrder } from '../../src/core/orders/manager-store.js';

const nodes = twoNodesInProcess(MARK_ALL_CONF, 'riposte-newcomer-sweep-', {
  sweepEveryMs: 2_000,
  staleAfterMs: 600_000,
  leaseEveryMs: 200,
});

test("an order committed right after a newcomer's hello, its hand-off lost, is sent by the next sweeps", async (t) => {
  const a = nodeAt(nodes, 0);
  const b = nodeAt(nodes, 1);
  const { session, orderSeqs: seqs } = recordingSession();
  await Promise.resolve(a.host.store.insertAgent(agentRecord('001', { fingerprint: 'AA:BB' })));
  const order = (n: number, at: number): NewOrder =>
    newOrder({ payload: `{"command":"add","n":${n}}`, createdAt: at, expiresAt: at + 600_000 });
  const backlog = await Promise.resolve(a.host.store.enqueueOrder(order(1, Date.now())));
  b.host.handler.opened('001', session);
  b.host.handler.frame('001', session, { type: 'hello', version: 'test', lastOrderSeq: 0, disabled: false });
  await waitFor('001 ready on B', 5_000, () => (b.host.ctx.sessions.isReady('001') ? true : undefined));
  const t0 = Date.now();
  // Stored on A with no hand-off at all: the one a dead node took with it.
  const lost = await Promise.resolve(a.host.store.enqueueOrder(order(2, t0)));
  assert.deepEqual(seqs(), [backlog.seq], 'the queue as the hello read it, after the welcome');
  await waitFor('the lost order at the agent', 30_000, () => (seqs().includes(lost.seq) ? true : undefined));
  // 2-4 s here, under load too; without the newcomer sweep, never (the round waits 10 minutes).
  t.diagnostic(`newcomer sweep: the lost order sent ${Date.now() - t0} ms after its commit`);
  assert.deepEqual(seqs(), [backlog.seq, lost.seq], 'each sent once');
  b.host.handler.closed('001', session);
});
