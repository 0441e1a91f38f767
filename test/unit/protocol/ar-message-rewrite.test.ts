/** execd's rewrite of a message before a script reads it (reference §1.3; ar-message.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rewriteForScript } from '../../../src/protocol/ar-message.js';

const PROGRAM = 'active-response/bin/firewall-drop';

void test('command and origin.module are replaced where they are, program is added, the rest is kept', () => {
  const msg = {
    version: '1',
    origin: { module: 'wazuh-analysisd', name: 'node01' },
    command: 'firewall-drop600',
    x: 1,
    parameters: { extra_args: ['-a'], alert: { data: { srcip: '192.0.2.1' } } },
  };
  assert.equal(
    JSON.stringify(rewriteForScript(msg, 'add', PROGRAM)),
    '{"version":"1","origin":{"module":"wazuh-execd","name":"node01"},"command":"add","x":1,' +
      `"parameters":{"extra_args":["-a"],"alert":{"data":{"srcip":"192.0.2.1"}},"program":"${PROGRAM}"}}`,
  );
  assert.equal(msg.command, 'firewall-drop600', 'the original is not changed');
});

void test('an origin without module gets none (cJSON_ReplaceItemInObject replaces, it does not add)', () => {
  const msg = {
    version: 1,
    origin: { name: 'x' },
    command: 'mark0',
    parameters: { extra_args: [], alert: {} },
  };
  assert.deepEqual(rewriteForScript(msg, 'delete', PROGRAM)['origin'], { name: 'x' });
});
