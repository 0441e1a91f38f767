/**
 * Two edges of the link found in review:
 * - an agent's report is taken with its text as the manager's stores hold it (storable-text.ts):
 *   a NUL or a lone surrogate becomes U+FFFD at receipt, so the keys a manager compares in memory
 *   (a hello's active list against the stored one) are the ones its PostgreSQL store gives back;
 * - an agent takes in no order before a welcome on that connection (one whose welcome failed, or
 *   one sent early): it neither runs nor acks it; it comes again after the next welcome.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAgentFrame, type AgentFrame } from '../../src/protocol/link.js';
import { tempAgentStore } from '../support/temp-agent-store.js';
import { testLinkSession } from '../support/link-session.js';
import { activeFor } from '../contract/manager-store.fixtures.js';

void test('an execution report with a NUL or a lone surrogate is taken with U+FFFD in their place', () => {
  const active = activeFor('001', 'mark-a\u0000b', { user: 'r\ud800t' });
  const record = {
    id: 1,
    key: 'mark-a\u0000b',
    arName: 'mark600',
    program: 'active-response/bin/mark',
    action: 'add',
    agentId: '001',
    srcip: '192.0.2.1',
    user: 'r\ud800t',
    startedAt: 1,
    endedAt: 2,
    exitCode: 1,
    timedOut: false,
    status: 'failed',
    stderrTail: 'wrote \u0000 here',
    note: 'n\udc00',
  };
  const parsed = parseAgentFrame(JSON.stringify({ type: 'execution', seq: 3, record, active }));
  assert.ok(parsed.ok && parsed.frame.type === 'execution', JSON.stringify(parsed));
  const f = parsed.frame;
  assert.deepEqual(
    [f.record.key, f.record.user, f.record.stderrTail, f.record.note],
    ['mark-a\ufffdb', 'r\ufffdt', 'wrote \ufffd here', 'n\ufffd'],
  );
  assert.deepEqual([f.active?.key, f.active?.user], ['mark-a\ufffdb', 'r\ufffdt']);
  const list = parseAgentFrame(JSON.stringify({ type: 'active-list', items: [active] }));
  assert.ok(list.ok && list.frame.type === 'active-list');
  assert.equal(list.frame.items[0]?.key, 'mark-a\ufffdb', 'the active list as the report');
});

void test('an order before the welcome is neither run nor acked; after it, it runs', async () => {
  const store = tempAgentStore();
  try {
    const submitted: number[] = [];
    const session = testLinkSession(store, (_raw, seq) => {
      submitted.push(seq ?? 0);
      return new Promise(() => undefined); // still running: no ack yet
    });
    const sent: AgentFrame[] = [];
    session.connected((f) => sent.push(f));
    const order = { type: 'order', seq: 1, kind: 'add', message: '{"command":"mark"}' } as const;
    session.onFrame(order);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(submitted, [], 'not run before the welcome');
    assert.deepEqual(
      sent.map((f) => f.type),
      ['hello'],
      'nothing but the hello went out',
    );
    session.onFrame({ type: 'welcome', agentId: '001', lastExecutionId: 0, arConf: '' });
    session.onFrame(order);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(submitted, [1], 'run once, after the welcome');
  } finally {
    store.close();
  }
});
