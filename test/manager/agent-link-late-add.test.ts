/**
 * The agent's link session with a real Execd (fake script runner, temp SQLite store): with several
 * manager nodes an add order can arrive after the operator's revert order of the same key, created
 * after it. The add is acked and reported, recorded as aborted (superseded), and the key stays
 * reverted: the operator's early revert holds, whether it reverted something or found nothing.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentLinkSession } from '../../src/link/agent-link-session.js';
import type { AgentFrame, ExecutionItem } from '../../src/protocol/link.js';
import { until } from '../support/event-turns.js';
import { execdLinkSession } from '../support/link-session.js';
import { arMessage, harness } from '../unit/agent/execd-fixture.js';

const IP = '203.0.113.45';
const KEY = `firewall-drop-${IP}`;

/** Every execution the session reported, batched or not, with its order seq. */
function reported(sent: readonly AgentFrame[]): ExecutionItem[] {
  return sent.flatMap((f) => (f.type === 'execution' ? [f] : f.type === 'executions' ? f.items : []));
}

function acked(sent: readonly AgentFrame[]): number[] {
  return sent.flatMap((f) => (f.type === 'ack' ? [f.seq] : f.type === 'acks' ? f.seqs : []));
}

/** A session on a fresh harness, welcomed as agent 001; `sent` collects its frames. */
function welcomed(): { h: ReturnType<typeof harness>; session: AgentLinkSession; sent: AgentFrame[] } {
  const h = harness();
  const session = execdLinkSession(h);
  const sent: AgentFrame[] = [];
  session.connected((f) => sent.push(f));
  session.onFrame({ type: 'welcome', agentId: '001', lastExecutionId: 0, arConf: '' });
  return { h, session, sent };
}

describe('agent link session: a late add order after a revert order', () => {
  test('revert 7 finds nothing active (rejected, as before), then add 6 (late): 6 is aborted all the same', async () => {
    const { h, session, sent } = welcomed();
    // Its response timed out here meanwhile, or the add it follows has not arrived yet.
    session.onFrame({ type: 'order', seq: 7, kind: 'revert', key: KEY });
    await until('the ack of 7', () => acked(sent).includes(7));
    await until('7 rejected', () => sent.some((f) => f.type === 'rejected' && f.seq === 7));
    assert.deepEqual(
      sent.find((f) => f.type === 'rejected'),
      { type: 'rejected', seq: 7, reason: `no active response "${KEY}"` },
      'the manager is told as before',
    );
    session.onFrame({
      type: 'order',
      seq: 6,
      kind: 'add',
      message: JSON.stringify(arMessage('firewall-drop600', IP)),
    });
    await until('the report of 6', () => reported(sent).some((e) => e.seq === 6));
    const late = reported(sent).find((e) => e.seq === 6);
    assert.equal(late?.record.action, 'abort');
    assert.match(late?.record.note ?? '', /^superseded: revert order 7 of this key/);
    assert.equal(h.store.getActive(KEY), undefined, 'the operator revert holds');
    session.disconnected();
  });

  test('add 5, revert 7, then add 6 (late): 6 is acked and reported aborted, the key stays reverted', async () => {
    const { h, session, sent } = welcomed();
    const add = JSON.stringify(arMessage('firewall-drop600', IP));
    const order = (seq: number): void => {
      session.onFrame({ type: 'order', seq, kind: 'add', message: add });
    };
    order(5);
    await until('order 5 applied', () => h.store.getActive(KEY) !== undefined && acked(sent).includes(5));
    // The node holding the link sends the operator's revert at once; order 6 is still on the bus.
    session.onFrame({ type: 'order', seq: 7, kind: 'revert', key: KEY });
    await until('the ack of 7', () => acked(sent).includes(7));
    assert.equal(h.store.getActive(KEY), undefined);
    order(6);
    await until('the report of 6', () => reported(sent).some((e) => e.seq === 6));
    const late = reported(sent).find((e) => e.seq === 6);
    assert.equal(late?.record.action, 'abort');
    assert.match(late?.record.note ?? '', /^superseded: revert order 7 of this key/);
    assert.equal(late?.active, null, 'nothing active after it');
    assert.ok(acked(sent).includes(6));
    assert.equal(h.store.getActive(KEY), undefined, 'the operator revert holds');
    assert.equal(
      reported(sent).find((e) => e.seq === 7)?.record.action,
      'delete',
      'the revert reported with its seq',
    );
    session.disconnected();
  });
});
