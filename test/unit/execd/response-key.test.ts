/**
 * Wazuh's key-size rule (reference §2.3, issue #9 item 6): keys are joined only while they fit in
 * the 4096-byte buffer (a key that does not fit is dropped whole), then basename + keys is cut to
 * 4095 bytes, and "Active response key exceeds maximum size (4096). Truncating keys." is logged.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KEY_TOO_LONG_WARNING, responseKey } from '../../../src/protocol/ar-message.js';

function keyOf(keys: readonly string[] | undefined): { key: string; warnings: string[] } {
  const warnings: string[] = [];
  const key = responseKey('firewall-drop', keys, (m) => warnings.push(m));
  return { key, warnings };
}

void describe('responseKey: Wazuh key-size rule', () => {
  void test('basename + "-" + each key; no warning when it fits', () => {
    assert.deepEqual(keyOf(['10.0.0.1', 'ssh']), { key: 'firewall-drop-10.0.0.1-ssh', warnings: [] });
    assert.deepEqual(keyOf([]), { key: 'firewall-drop', warnings: [] });
    assert.deepEqual(keyOf(undefined), { key: 'firewall-drop', warnings: [] });
  });

  void test('a second key over 4096 bytes is dropped whole: the repeat is the same rkey (an abort)', () => {
    const first = keyOf(['10.0.0.1']);
    const repeat = keyOf(['10.0.0.1', 'x'.repeat(5000)]);
    assert.equal(repeat.key, first.key);
    assert.deepEqual(repeat.warnings, [KEY_TOO_LONG_WARNING]);
    assert.equal(KEY_TOO_LONG_WARNING, 'Active response key exceeds maximum size (4096). Truncating keys.');
  });

  void test('keys after a dropped one are dropped too', () => {
    assert.equal(keyOf(['a', 'x'.repeat(4095), 'b']).key, 'firewall-drop-a');
  });

  void test('keys that fit but make basename + keys too long are cut to 4095 bytes', () => {
    const { key, warnings } = keyOf(['y'.repeat(4090)]);
    assert.equal(Buffer.byteLength(key), 4095);
    assert.ok(key.startsWith('firewall-drop-yyy'));
    assert.deepEqual(warnings, [KEY_TOO_LONG_WARNING]);
  });

  void test('the cut never leaves half a UTF-8 character', () => {
    const { key } = keyOf(['é'.repeat(2040)]);
    assert.ok(Buffer.byteLength(key) <= 4095);
    assert.equal(key.includes('\uFFFD'), false);
  });
});
