/**
 * The per-execution helpers of the batch path: isoOf (toISOString with the last answer kept) and
 * executionEnd (key/action present only when given, notes joined with "; "), and the daemon
 * log's cached time field (isoTime).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { executionEnd } from '../../../src/agent/execd/record-outcome.js';
import { isoOf } from '../../../src/agent/execd/response-log.js';
import type { ScriptOutcome } from '../../../src/agent/executor/spawn-script.js';

test('isoOf is toISOString, for repeated and alternating times', () => {
  for (const ms of [0, 1_763_600_000_000, 1_763_600_000_000, 1_763_600_000_001, 0, -1]) {
    assert.equal(isoOf(ms), new Date(ms).toISOString());
  }
  assert.throws(() => isoOf(Number.NaN), RangeError);
  assert.equal(isoOf(5), new Date(5).toISOString(), 'a failed call leaves the cache usable');
});

const base: ScriptOutcome = {
  exitCode: 0,
  signal: null,
  timedOut: false,
  handshake: 'line',
  firstLine: undefined,
  reply: undefined,
  stderrTail: '',
  spawnError: undefined,
  startedAt: 1,
  endedAt: 2,
};

test('executionEnd: key and action only when given; notes joined in order', () => {
  assert.deepEqual(executionEnd(base, {}), {
    endedAt: 2,
    exitCode: 0,
    signal: undefined,
    timedOut: false,
    status: 'ok',
    stderrTail: '',
    note: undefined,
  });
  const full = executionEnd(base, { key: 'firewall-drop-192.0.2.1', action: 'abort', note: 'n' });
  assert.equal(full.key, 'firewall-drop-192.0.2.1');
  assert.equal(full.action, 'abort');
  assert.equal(full.note, 'n');
  assert.equal('key' in executionEnd(base, { note: 'n' }), false);
  assert.equal(
    executionEnd({ ...base, spawnError: 'ENOENT', handshake: 'eof', exitCode: null }, { note: 'x' }).note,
    'ENOENT; no check_keys line: not tracked; x',
  );
  assert.equal(
    executionEnd({ ...base, handshake: 'timeout' }, {}).note,
    'no check_keys line within the handshake limit: not tracked',
  );
  assert.equal(executionEnd({ ...base, spawnError: 'E' }, {}).status, 'spawn-error');
});

test("the daemon log's time field is pino's isoTime, for repeated and changing times", async () => {
  const { isoTime } = await import('../../../src/log/daemon-log.js');
  const pino = (await import('pino')).default;
  for (let i = 0; i < 3; i++) {
    const before = Date.now();
    const got = isoTime();
    const after = Date.now();
    const { time } = JSON.parse(`{${got.slice(1)}}`) as { time: string };
    const ms = Date.parse(time);
    assert.ok(ms >= before && ms <= after, got);
    assert.equal(got.replace(/"[^"]*"$/, ''), pino.stdTimeFunctions.isoTime().replace(/"[^"]*"$/, ''));
    await new Promise((r) => setTimeout(r, 2));
  }
});
