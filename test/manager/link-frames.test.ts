import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame, parseAgentFrame, parseManagerFrame } from '../../src/protocol/link.js';
import type { ExecutionRecord } from '../../src/protocol/execution-records.js';
import { backoffDelay } from '../../src/link/backoff.js';

const record: ExecutionRecord = {
  id: 3,
  key: undefined,
  arName: 'mark600',
  program: 'active-response/bin/mark',
  action: 'add',
  agentId: '001',
  alertId: undefined,
  ruleId: undefined,
  srcip: undefined,
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

describe('link frames', () => {
  test('every frame survives encode -> parse (undefined fields dropped and restored)', () => {
    const agentFrames = [
      { type: 'hello', version: '0.1.0', lastOrderSeq: 4, disabled: false },
      { type: 'ack', seq: 9 },
      { type: 'rejected', seq: 9, reason: 'no' },
      { type: 'execution', seq: 2, record, active: null },
      { type: 'active-list', items: [] },
    ] as const;
    for (const f of agentFrames) {
      assert.deepEqual(parseAgentFrame(encodeFrame(f)), { ok: true, frame: f });
    }
    const managerFrames = [
      { type: 'welcome', agentId: '001', lastExecutionId: 0, arConf: 'mark600 - mark - 600\n' },
      { type: 'welcome', agentId: '001', lastExecutionId: 3, arConf: '', batches: true, settledThrough: 7 },
      { type: 'order', seq: 1, kind: 'add', message: '{}' },
      { type: 'order', seq: 2, kind: 'revert', key: 'mark-1.2.3.4' },
    ] as const;
    for (const f of managerFrames) {
      assert.deepEqual(parseManagerFrame(encodeFrame(f)), { ok: true, frame: f });
    }
  });

  test('malformed frames are refused with a reason', () => {
    const bad: [string, string][] = [
      ['not json', 'frame is not a JSON object'],
      ['[1]', 'frame is not a JSON object'],
      ['{"type":"nope"}', 'unknown frame type'],
      ['{"type":"ack","seq":-1}', 'invalid ack frame'],
      ['{"type":"hello","version":"x","lastOrderSeq":0}', 'invalid hello frame'],
      [
        JSON.stringify({ type: 'execution', record: { ...record, status: 'weird' }, active: null }),
        'invalid execution frame',
      ],
      ['{"type":"active-list","items":[{}]}', 'invalid active-list frame'],
    ];
    for (const [text, error] of bad) {
      assert.deepEqual(parseAgentFrame(text), { ok: false, error }, text);
    }
    assert.deepEqual(
      parseManagerFrame(
        '{"type":"welcome","agentId":"001","lastExecutionId":0,"arConf":"","settledThrough":-1}',
      ),
      { ok: false, error: 'invalid welcome frame' },
    );
    assert.deepEqual(parseManagerFrame('{"type":"order","seq":0,"kind":"add","message":"{}"}'), {
      ok: false,
      error: 'invalid order seq',
    });
  });

  test('reconnect backoff: full jitter under an exponential ceiling capped at the maximum', () => {
    assert.equal(
      backoffDelay(0, () => 0.999),
      999,
    );
    assert.equal(
      backoffDelay(3, () => 0.5),
      4000,
    );
    assert.equal(
      backoffDelay(20, () => 0.5),
      30_000,
    );
    assert.equal(
      backoffDelay(5, () => 0),
      0,
    );
  });
});
