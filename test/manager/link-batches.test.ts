/**
 * Batch frames of the link (orders, acks, executions): offered by a flag in hello / welcome (an
 * older peer without it gets single frames), parsed within their bounds, packed under the frame
 * cap in order, and applied by the agent exactly as the single frames would be.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LINK_MAX_BATCH_ITEMS,
  LINK_MAX_FRAME_BYTES,
  encodeFrame,
  parseAgentFrame,
  parseManagerFrame,
  type AgentFrame,
  type ManagerFrame,
  type OrderFrame,
} from '../../src/protocol/link.js';
import { ackFrames, executionFrames, frameTexts, orderFrames } from '../../src/protocol/link-pack.js';
import { AgentSessions } from '../../src/manager/agent-sessions.js';
import { tempAgentStore } from '../support/temp-agent-store.js';
import { testLinkSession } from '../support/link-session.js';
import { sampleEnd } from '../contract/agent-store.fixtures.js';
import type { ExecutionRecord } from '../../src/protocol/execution-records.js';

const record: ExecutionRecord = {
  id: 3,
  key: 'firewall-drop-198.18.0.1',
  arName: 'firewall-drop600',
  program: 'active-response/bin/firewall-drop',
  action: 'add',
  agentId: '001',
  alertId: undefined,
  ruleId: 5712,
  srcip: '198.18.0.1',
  user: undefined,
  startedAt: 1,
  endedAt: 2,
  exitCode: 0,
  signal: undefined,
  timedOut: false,
  status: 'ok',
  stderrTail: '',
  note: undefined,
};

const add = (seq: number, message = `{"command":"add","n":${seq}}`): OrderFrame => ({
  type: 'order',
  seq,
  kind: 'add',
  message,
});

const seqsOf = (frames: readonly ManagerFrame[]): number[] =>
  frames.flatMap((f) =>
    f.type === 'orders' ? f.orders.map((o) => o.seq) : f.type === 'order' ? [f.seq] : [],
  );

/** One turn of the event loop. */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('link batch frames', () => {
  test('batch frames and the batches flags survive encode -> parse; no flag, no batches', () => {
    const agentFrames = [
      { type: 'hello', version: '0.1.0', lastOrderSeq: 4, disabled: false, batches: true },
      { type: 'acks', seqs: [1, 2, 3] },
      {
        type: 'executions',
        items: [
          { seq: 2, record, active: null },
          { record, active: null },
        ],
      },
    ] as const;
    for (const f of agentFrames) {
      assert.deepEqual(parseAgentFrame(encodeFrame(f)), { ok: true, frame: f });
    }
    const managerFrames = [
      { type: 'welcome', agentId: '001', lastExecutionId: 0, arConf: '', batches: true },
      { type: 'orders', orders: [add(1), { type: 'order', seq: 2, kind: 'revert', key: 'k' }] },
    ] as const;
    for (const f of managerFrames) {
      assert.deepEqual(parseManagerFrame(encodeFrame(f)), { ok: true, frame: f });
    }
    const hello = parseAgentFrame('{"type":"hello","version":"0.0.9","lastOrderSeq":0,"disabled":false}');
    assert.ok(hello.ok && hello.frame.type === 'hello' && hello.frame.batches === undefined);
  });

  test('a batch is refused when empty, over LINK_MAX_BATCH_ITEMS, or holding one bad item', () => {
    const many = Array.from({ length: LINK_MAX_BATCH_ITEMS + 1 }, (_, i) => i + 1);
    const bad: [string, string][] = [
      ['{"type":"acks","seqs":[]}', 'invalid acks frame'],
      [JSON.stringify({ type: 'acks', seqs: many }), 'invalid acks frame'],
      ['{"type":"acks","seqs":[1,-2]}', 'invalid acks frame'],
      [
        JSON.stringify({
          type: 'executions',
          items: [
            { record, active: null },
            { record: {}, active: null },
          ],
        }),
        'invalid executions frame',
      ],
    ];
    for (const [text, error] of bad) {
      assert.deepEqual(parseAgentFrame(text), { ok: false, error }, text.slice(0, 80));
    }
    assert.deepEqual(parseManagerFrame(JSON.stringify({ type: 'orders', orders: [add(1), add(0)] })), {
      ok: false,
      error: 'invalid orders frame',
    });
    assert.deepEqual(parseManagerFrame(JSON.stringify({ type: 'orders', orders: many.map((s) => add(s)) })), {
      ok: false,
      error: 'invalid orders frame',
    });
  });

  test('runs keep the order and the item cap; a lone item is its single frame', () => {
    const orders = Array.from({ length: 2500 }, (_, i) => add(i + 1));
    const frames = orderFrames(orders);
    assert.deepEqual(
      frames.map((f) => (f.type === 'orders' ? f.orders.length : f.type)),
      [1000, 1000, 500],
    );
    assert.deepEqual(
      seqsOf(frames),
      orders.map((o) => o.seq),
    );
    assert.deepEqual(orderFrames([add(5)]), [add(5)], 'a lone order is a plain order frame');
    const acks = ackFrames(Array.from({ length: 2001 }, (_, i) => i + 1));
    assert.deepEqual(
      acks.map((f) => (f.type === 'acks' ? f.seqs.length : f.type)),
      [1000, 1000, 'ack'],
    );
    assert.deepEqual(executionFrames([{ seq: 1, record, active: null }]), [
      { type: 'execution', seq: 1, record, active: null },
    ]);
  });

  test('frameTexts: exact sizes under the frame cap (escapes and multi-byte text included), in order, each order as encodeFrame gives it', () => {
    const orders = Array.from({ length: 2500 }, (_, i) => add(i + 1, `{"alert":"${'x'.repeat(900)}"}`));
    // 64 KiB of control characters (6-byte \uXXXX escapes) and of 3-byte UTF-8 characters.
    orders.splice(7, 0, add(100_000, '\u0001'.repeat(65_536)), add(100_001, '\u20ac'.repeat(65_536)));
    const texts = frameTexts({ type: 'orders', orders });
    const parsed = texts.map((t) => {
      assert.ok(Buffer.byteLength(t) <= LINK_MAX_FRAME_BYTES);
      const f = parseManagerFrame(t);
      assert.ok(f.ok);
      assert.equal(t, encodeFrame(f.frame));
      return f.frame;
    });
    assert.deepEqual(
      seqsOf(parsed),
      orders.map((o) => o.seq),
    );
    // 2,502 orders of ~0.9-196 KB: full frames, not a 6-byte-per-character bound's ~100 items each.
    assert.ok(texts.length <= 6, `${texts.length} frames for 2,502 orders`);
    for (const f of parsed) {
      assert.ok(f.type !== 'orders' || (f.orders.length > 1 && f.orders.length <= LINK_MAX_BATCH_ITEMS));
    }
    // Exactly at the cap: one frame; one byte less: two.
    const two = orderFrames([add(1, 'a'), add(2, 'b')])[0];
    assert.ok(two !== undefined);
    const size = Buffer.byteLength(encodeFrame(two));
    assert.equal(frameTexts(two, size).length, 1);
    assert.deepEqual(frameTexts(two, size - 1), [encodeFrame(add(1, 'a')), encodeFrame(add(2, 'b'))]);
    assert.deepEqual(frameTexts({ type: 'acks', seqs: [1, 2] }, 10), [
      '{"type":"ack","seq":1}',
      '{"type":"ack","seq":2}',
    ]);
    // A run of one execution report: its single `execution` frame, the type first as encodeFrame puts it.
    const pair = [
      { seq: 1, record, active: null },
      { seq: 2, record: { ...record, id: 4 }, active: null },
    ];
    const both = Buffer.byteLength(encodeFrame({ type: 'executions', items: pair }));
    assert.deepEqual(
      frameTexts({ type: 'executions', items: pair }, both - 1),
      pair.map((item) => encodeFrame({ type: 'execution', ...item })),
    );
    const big = { ...record, stderrTail: '\u0002'.repeat(4096) };
    const items = Array.from({ length: 300 }, (_, i) => ({
      seq: i + 1,
      record: { ...big, id: i + 1 },
      active: null,
    }));
    const reports = frameTexts({ type: 'executions', items }).map((t) => {
      assert.ok(Buffer.byteLength(t) <= LINK_MAX_FRAME_BYTES);
      const f = parseAgentFrame(t);
      assert.ok(f.ok);
      return f.frame;
    });
    assert.deepEqual(
      reports.flatMap((f) =>
        f.type === 'executions'
          ? f.items
          : f.type === 'execution'
            ? [{ record: f.record, active: f.active, ...(f.seq !== undefined ? { seq: f.seq } : {}) }]
            : [],
      ),
      items,
    );
    // Full frames: as many as the total size needs, plus at most one.
    const total = Buffer.byteLength(encodeFrame({ type: 'executions', items }));
    assert.ok(reports.length <= Math.ceil(total / LINK_MAX_FRAME_BYTES) + 1, `${reports.length} frames`);
    const hello: AgentFrame = { type: 'hello', version: 'v', lastOrderSeq: 0, disabled: false };
    assert.deepEqual(frameTexts(hello), [encodeFrame(hello)]);
  });

  test('the manager packs the orders of one turn for an agent that offered batches, not for an older one', async () => {
    const sent = new Map<string, ManagerFrame[]>();
    const sessions = new AgentSessions();
    for (const [id, batches] of [
      ['001', true],
      ['002', false],
    ] as const) {
      sent.set(id, []);
      sessions.attach(id, { address: 'x', send: (f) => sent.get(id)?.push(f), close: () => undefined });
      sessions.markGreeting(id, batches);
      sessions.markReady(id, [add(1), add(2)]);
      for (let seq = 3; seq <= 5; seq++) {
        assert.equal(sessions.send(id, add(seq)), true);
      }
    }
    await turn();
    const one = sent.get('001') ?? [];
    const two = sent.get('002') ?? [];
    assert.deepEqual(
      one.map((f) => f.type),
      ['orders'],
    );
    assert.deepEqual(seqsOf(one), [1, 2, 3, 4, 5]);
    assert.deepEqual(
      two.map((f) => f.type),
      ['order', 'order', 'order', 'order', 'order'],
    );
    assert.deepEqual(seqsOf(two), [1, 2, 3, 4, 5]);
  });

  test('orders of one turn to many batching agents: each gets its own, packed, turn after turn', async () => {
    const sent = new Map<string, ManagerFrame[]>();
    const sessions = new AgentSessions();
    const ids = ['001', '002', '003', '004'];
    for (const id of ids) {
      sent.set(id, []);
      sessions.attach(id, { address: 'x', send: (f) => sent.get(id)?.push(f), close: () => undefined });
      sessions.markGreeting(id, true);
      sessions.markReady(id);
    }
    for (let seq = 1; seq <= 3; seq++) {
      for (const id of ids) {
        assert.equal(sessions.send(id, add(seq * 10 + Number(id))), true);
      }
    }
    await turn();
    // The next turn: every session gets its orders again (none is left waiting for a flush), and a
    // non-order frame sends the orders before it first.
    for (const id of ids) {
      sessions.send(id, add(100 + Number(id)));
    }
    sessions.send('003', { type: 'welcome', agentId: '003', lastExecutionId: 0, arConf: '' });
    sessions.send('003', add(200));
    await turn();
    for (const id of ids) {
      const n = Number(id);
      const want = id === '003' ? [10 + n, 20 + n, 30 + n, 100 + n, 200] : [10 + n, 20 + n, 30 + n, 100 + n];
      assert.deepEqual(seqsOf(sent.get(id) ?? []), want);
      assert.equal((sent.get(id) ?? [])[0]?.type, 'orders');
    }
    assert.deepEqual(
      (sent.get('003') ?? []).map((f) => f.type),
      ['orders', 'order', 'welcome', 'order'],
    );
  });

  test('the agent runs each order of an orders frame once, acks and reports them in batches', async () => {
    const store = tempAgentStore();
    const submitted: number[] = [];
    let n = 0;
    const session = testLinkSession(store, (raw: string, seq?: number) => {
      submitted.push(seq ?? -1);
      n++;
      const id = store.startExecution({ ...record, key: `k-${n}`, startedAt: 1 });
      store.endExecution(id, sampleEnd({ endedAt: 2 }));
      return Promise.resolve({ executionId: id, key: `k-${n}`, decision: 'started' as const });
    });
    const sent: AgentFrame[] = [];
    session.connected((f) => sent.push(f));
    assert.deepEqual(sent[0], {
      type: 'hello',
      version: 't',
      lastOrderSeq: 0,
      disabled: false,
      batches: true,
    });
    session.onFrame({ type: 'welcome', agentId: '001', lastExecutionId: 0, arConf: '', batches: true });
    const frame: ManagerFrame = { type: 'orders', orders: [add(1), add(2), add(3)] };
    session.onFrame(frame);
    const reported = (): number[] =>
      sent.flatMap((f) =>
        f.type === 'executions'
          ? f.items.map((i) => i.seq ?? -1)
          : f.type === 'execution'
            ? [f.seq ?? -1]
            : [],
      );
    const acked = (): number[] =>
      sent.flatMap((f) => (f.type === 'acks' ? f.seqs : f.type === 'ack' ? [f.seq] : []));
    const deadline = Date.now() + 5000;
    while (reported().length < 3 && Date.now() < deadline) {
      await turn();
    }
    assert.deepEqual(submitted, [1, 2, 3]);
    assert.deepEqual(acked(), [1, 2, 3]);
    assert.deepEqual(reported(), [1, 2, 3]);
    assert.ok(sent.some((f) => f.type === 'acks') && sent.some((f) => f.type === 'executions'));
    session.onFrame(frame); // redelivered after a reconnect: acked again, never run twice
    await turn();
    await turn();
    assert.deepEqual(submitted, [1, 2, 3]);
    assert.deepEqual(acked(), [1, 2, 3, 1, 2, 3]);
    assert.deepEqual(reported(), [1, 2, 3]);
  });
});
