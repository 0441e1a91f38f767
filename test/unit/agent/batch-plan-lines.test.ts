/**
 * lineWithCommand (protocol/ar-message.ts): the delete line and the continue/abort reply of a batched add
 * are spliced from its add line instead of serialising the message again. The result must be
 * byte for byte what serialising gives, or undefined when the splice cannot be proven exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  lineWithCommand,
  rewriteForScript,
  withCommand,
  type ScriptCommand,
} from '../../../src/protocol/ar-message.js';
import type { JsonObject } from '../../../src/protocol/json.js';

const COMMANDS: readonly ScriptCommand[] = ['add', 'delete', 'continue', 'abort'];

function message(alert: JsonObject, order: 'wazuh' | 'command-last' = 'wazuh'): JsonObject {
  const origin = { name: 'node01', module: 'wazuh-analysisd' };
  const parameters = { extra_args: ['--backend', 'nft'], alert };
  return order === 'wazuh'
    ? { version: 1, origin, command: 'firewall-drop600', parameters }
    : { parameters, version: 1, origin, extra: { note: 'x' }, command: 'firewall-drop600' };
}

test('lineWithCommand gives exactly the serialised message with each command', () => {
  const alerts: JsonObject[] = [
    { data: { srcip: '198.18.0.1' }, rule: { id: '5712' } },
    // Look-alikes inside strings (escaped quotes), non-ASCII, backslashes at string ends.
    {
      full_log: 'x "command":"add" y',
      data: { srcip: '198.18.0.2', srcuser: 'é\\' },
      t: '\\"command\\":\\"add\\"',
    },
    { 'command:add': '"command":"add"', data: { srcip: '2001:db8::1' } },
  ];
  for (const alert of alerts) {
    for (const order of ['wazuh', 'command-last'] as const) {
      const add = rewriteForScript(message(alert, order), 'add', 'active-response/bin/firewall-drop');
      const line = JSON.stringify(add);
      for (const command of COMMANDS) {
        assert.equal(
          lineWithCommand(line, command),
          JSON.stringify(withCommand(add, command)),
          `${order} ${command}`,
        );
      }
    }
  }
});

test('lineWithCommand declines (undefined) when the pair occurs more than once, or not at all', () => {
  const nested = rewriteForScript(
    message({ data: { srcip: '198.18.0.3' }, inner: { command: 'add' } }),
    'add',
    'firewall-drop',
  );
  assert.equal(lineWithCommand(JSON.stringify(nested), 'delete'), undefined);
  const notAdd = rewriteForScript(message({ data: { srcip: '198.18.0.4' } }), 'delete', 'firewall-drop');
  assert.equal(lineWithCommand(JSON.stringify(notAdd), 'continue'), undefined);
});
