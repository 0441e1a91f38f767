/**
 * The batch skeleton (run-stock-batch.ts) given the messages the agent serialised its lines and
 * replies from: the same active-responses.log lines, the same outcomes and the same check_keys as
 * when it parses every line back (checkParsed is checkMessage without the parse).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { isArEnvelope, type ArEnvelope } from '../../src/protocol/ar-message.js';
import type { ScriptHost } from '../../src/protocol/script-io.js';
import { AR_LOG_RELATIVE_PATH } from '../../src/scripts/contract/ar-log.js';
import { srcipInput } from '../../src/scripts/contract/input.js';
import {
  runStockBatch,
  type BatchLine,
  type BatchReply,
  type CheckKeysLine,
} from '../../src/scripts/contract/run-stock-batch.js';
import { ArLogMessage, checkMessage, checkParsed } from '../../src/scripts/contract/run-stock-script.js';
import type { StockScript } from '../../src/scripts/contract/stock-script.js';
import { tempScriptHosts } from '../support/script-hosts.js';

const host = tempScriptHosts('riposte-batch-parsed-');

/** A stateful srcip script whose batch form fails 192.0.2.66 and applies the rest. */
const script: StockScript = {
  name: 'firewall-drop',
  stateful: true,
  input: (m) => srcipInput(m),
  add: () => Promise.resolve(),
  delete: () => Promise.resolve(),
  batch: (items) =>
    Promise.resolve(
      items.map((i) => (i.ctx.key === '192.0.2.66' ? 'Unable to run nft: refused' : undefined)),
    ),
};

function message(command: string, srcip: string): ArEnvelope {
  return {
    version: 1,
    origin: { name: 'node01', module: 'wazuh-execd' },
    command,
    parameters: { extra_args: [], alert: { data: { srcip } }, program: 'active-response/bin/firewall-drop' },
  };
}

/** add x3 (one refused by the batch form, one answered abort), a delete, a bad command, a bad srcip. */
const MESSAGES = [
  message('add', '192.0.2.1'),
  message('add', '192.0.2.66'),
  message('add', '192.0.2.7'),
  message('delete', '192.0.2.9'),
  message('continue', '192.0.2.10'),
  message('add', 'not-an-ip'),
];

async function run(
  h: ScriptHost,
  parsed: boolean,
): Promise<{ log: string; outcomes: unknown; keys: unknown }> {
  const lines: BatchLine[] = MESSAGES.map((m) => {
    const line = JSON.stringify(m);
    return parsed ? { line, message: m, input: script.input(m) } : line;
  });
  let seen: readonly (CheckKeysLine | undefined)[] = [];
  const outcomes = await runStockBatch(script, lines, {
    host: h,
    decide: (checkKeys) => {
      seen = checkKeys;
      return checkKeys.map((ck, i): BatchReply | undefined => {
        if (ck === undefined) {
          return undefined;
        }
        const reply = { ...MESSAGES[i], command: i === 2 ? 'abort' : 'continue' };
        assert.ok(isArEnvelope(reply));
        return parsed ? { line: JSON.stringify(reply), message: reply } : JSON.stringify(reply);
      });
    },
    signal: new AbortController().signal,
  });
  return {
    log: fs.readFileSync(path.join(h.home, AR_LOG_RELATIVE_PATH), 'utf8'),
    outcomes,
    keys: seen.map((ck) => ck?.keys),
  };
}

test('passing the parsed messages changes neither the log lines nor the outcomes', async () => {
  const fromText = await run(host('text'), false);
  const fromParsed = await run(host('parsed'), true);
  assert.equal(fromParsed.log, fromText.log);
  assert.deepEqual(fromParsed.outcomes, fromText.outcomes);
  assert.deepEqual(fromParsed.keys, [
    ['192.0.2.1'],
    ['192.0.2.66'],
    ['192.0.2.7'],
    undefined,
    undefined,
    undefined,
  ]);
  assert.deepEqual(fromParsed.keys, fromText.keys);
  const codes = (fromParsed.outcomes as { exitCode: number }[]).map((o) => o.exitCode);
  assert.deepEqual(codes, [0, 255, 0, 0, 255, 255]);
  assert.match(fromParsed.log, /Aborted\n/);
  assert.match(fromParsed.log, /Invalid value of 'command'\n/);
});

test('checkParsed: what checkMessage checks after parsing, and nothing logged on success', () => {
  const logged: string[] = [];
  const log = (m: string): void => {
    logged.push(m);
  };
  const ok = checkParsed(message('add', '192.0.2.1'), log, ['add', 'delete']);
  assert.equal(ok.ok, true);
  assert.deepEqual(logged, []);
  assert.deepEqual(
    checkParsed({ command: 'add' }, log, ['add']),
    checkMessage('{"command":"add"}', () => undefined, ['add']),
  );
  assert.deepEqual(logged, [ArLogMessage.INVALID_INPUT]);
  assert.equal(checkParsed(message('abort', '192.0.2.1'), log, ['add', 'delete']).ok, false);
  assert.deepEqual(logged, [ArLogMessage.INVALID_INPUT, ArLogMessage.INVALID_COMMAND]);
  assert.equal(checkParsed(undefined, log, ['add']).ok, false);
});
