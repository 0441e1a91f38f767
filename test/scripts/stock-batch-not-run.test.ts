/**
 * The batch skeleton (run-stock-batch.ts) with an execution `decide` answers NOT_RUN (the agent's
 * delete of a key an earlier execution of the batch left inactive): as when run one by one, where
 * its script would not start, it writes no active-responses.log line and reaches no batch form;
 * the others log and act as before. A `decide` that throws still leaves every phase-1 line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { buildCheckKeys, type ArEnvelope } from '../../src/protocol/ar-message.js';
import type { ScriptHost } from '../../src/protocol/script-io.js';
import { AR_LOG_RELATIVE_PATH } from '../../src/scripts/contract/ar-log.js';
import { srcipInput } from '../../src/scripts/contract/input.js';
import { NOT_RUN, runStockBatch, type BatchDecide } from '../../src/scripts/contract/run-stock-batch.js';
import type { StockScript } from '../../src/scripts/contract/stock-script.js';
import { tempScriptHosts } from '../support/script-hosts.js';

const host = tempScriptHosts('riposte-batch-not-run-', new Date(2026, 11, 5, 3, 0, 0));

/** A stateful srcip script whose batch form records what it got ("add 192.0.2.1"). */
function recordingScript(calls: string[][]): StockScript {
  return {
    name: 'firewall-drop',
    stateful: true,
    input: (m) => srcipInput(m),
    add: () => Promise.resolve(),
    delete: () => Promise.resolve(),
    batch: (items) => {
      calls.push(items.map((i) => `${i.mode} ${i.ctx.key ?? ''}`));
      return Promise.resolve(items.map(() => undefined));
    },
  };
}

function line(command: string, srcip: string): string {
  const m: ArEnvelope = {
    version: 1,
    origin: { name: 'node01', module: 'wazuh-execd' },
    command,
    parameters: { extra_args: [], alert: { data: { srcip } }, program: 'active-response/bin/firewall-drop' },
  };
  return JSON.stringify(m);
}

const LINES = [line('add', '192.0.2.1'), line('delete', '192.0.2.1'), line('delete', '192.0.2.9')];

/** Logged messages without their timestamp and program prefix. */
function messages(h: ScriptHost): string[] {
  const text = fs.readFileSync(path.join(h.home, AR_LOG_RELATIVE_PATH), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(/^\S+ \S+ active-response\/bin\/firewall-drop: /, ''));
}

test('an execution answered NOT_RUN logs nothing and acts on nothing; the others as before', async () => {
  const h = host('not-run');
  const calls: string[][] = [];
  const decide: BatchDecide = (checkKeys) =>
    checkKeys.map((ck, i) => {
      if (i === 1) {
        return NOT_RUN;
      }
      return ck === undefined ? undefined : line('continue', '192.0.2.1');
    });
  const outcomes = await runStockBatch(recordingScript(calls), LINES, {
    host: h,
    decide,
    signal: new AbortController().signal,
  });
  assert.deepEqual(calls, [['add 192.0.2.1', 'delete 192.0.2.9']]);
  assert.deepEqual(
    outcomes.map((o) => [o.exitCode, o.ran, o.handshake, o.error]),
    [
      [0, true, 'line', undefined],
      [0, false, 'none', undefined],
      [0, true, 'none', undefined],
    ],
  );
  // The phase-1 lines of the executions that run, the reply, then the batch form's "Ended" lines:
  // each execution's lines in the order its script writes them, none of the one not run.
  const checkKeys = JSON.stringify(buildCheckKeys('firewall-drop', ['192.0.2.1']));
  assert.deepEqual(messages(h), [
    'Starting',
    LINES[0],
    checkKeys,
    'Starting',
    LINES[2],
    line('continue', '192.0.2.1'),
    'Ended',
    'Ended',
  ]);
});

test("a decide that throws: every execution's phase-1 lines are written, nothing acts, the error goes on", async () => {
  const h = host('throws');
  const calls: string[][] = [];
  const run = runStockBatch(recordingScript(calls), LINES, {
    host: h,
    decide: () => {
      throw new Error('store unavailable');
    },
    signal: new AbortController().signal,
  });
  await assert.rejects(run, /store unavailable/);
  assert.deepEqual(calls, []);
  const logged = messages(h);
  assert.equal(logged.filter((m) => m === 'Starting').length, 3);
  assert.deepEqual(
    logged.filter((m) => m.startsWith('{')).map((m) => (JSON.parse(m) as { command: string }).command),
    ['add', 'check_keys', 'delete', 'delete'],
  );
});
