import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCraftedInput } from '../../../src/core/match/crafted-input.js';
import type { JsonObject } from '../../../src/protocol/json.js';
import { makeAlert } from './config-builder.js';

const cases: { name: string; data: JsonObject; warning: 1271 | 1272 | undefined }[] = [
  { name: 'plain IPv4 srcip passes', data: { srcip: '203.0.113.45' }, warning: undefined },
  { name: 'IPv6 and mapped srcip pass', data: { srcip: '::ffff:192.0.2.1' }, warning: undefined },
  {
    name: 'hostname srcip passes (Wazuh only checks characters)',
    data: { srcip: 'evil-host.example' },
    warning: undefined,
  },
  { name: 'srcip with ;id is rejected (1271)', data: { srcip: '1.2.3.4;id' }, warning: 1271 },
  { name: 'srcip with $() is rejected', data: { srcip: '$(reboot)' }, warning: 1271 },
  { name: 'srcip with a space is rejected', data: { srcip: '1.2.3.4 5.6.7.8' }, warning: 1271 },
  { name: 'empty srcip passes (the regex allows *)', data: { srcip: '' }, warning: undefined },
  { name: 'dstuser with @ . ? - passes', data: { dstuser: 'john.doe@corp-1?' }, warning: undefined },
  { name: 'dstuser with ; is rejected (1272)', data: { dstuser: 'root;reboot' }, warning: 1272 },
  { name: 'dstuser with backslash is rejected', data: { dstuser: 'CORP\\admin' }, warning: 1272 },
  { name: 'dstuser is checked before srcip', data: { dstuser: 'a b', srcip: '1.2.3.4;id' }, warning: 1272 },
  { name: 'no srcip, no dstuser passes', data: { srcuser: 'x;y' }, warning: undefined },
];

void describe('checkCraftedInput', () => {
  for (const c of cases) {
    void test(c.name, () => {
      assert.equal(checkCraftedInput(makeAlert({ data: c.data }))?.warning, c.warning);
    });
  }

  void test('reason quotes and caps an absurdly long value', () => {
    const srcip = `1.2.3.4;${'A'.repeat(10_000)}\n`;
    const finding = checkCraftedInput(makeAlert({ data: { srcip } }));
    assert.ok(finding);
    assert.ok(finding.reason.length < 200, finding.reason);
    assert.ok(finding.reason.includes('(10009 chars)'));
    assert.ok(!finding.reason.includes('\n'));
  });
});
