import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BINDING_CACHE_MAX, boundRules, computeBoundRules } from '../../../src/core/match/binding-cache.js';
import { makeAlert, makeConfig } from './config-builder.js';

const config = makeConfig({
  rules: [
    { level: 10, group: 'sshd' },
    { rulesId: [5712, 31168] },
    { group: 'web|attack' },
    { level: 12 },
    { level: 1, disabled: true },
  ],
});

void describe('boundRules (memoised binding)', () => {
  void test('same answers as the uncached computation, hit or miss, across a cache clear', () => {
    const groupsets = [['syslog', 'sshd'], ['web', 'attack'], ['ossec'], ['sshd2']];
    let checked = 0;
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < BINDING_CACHE_MAX + 50; i += 97) {
        const alert = makeAlert({
          ruleId: String(5700 + (i % 200)),
          level: i % 16,
          groups: groupsets[i % 4]!,
        });
        assert.deepEqual(boundRules(alert, config), computeBoundRules(alert, config));
        checked++;
      }
    }
    assert.ok(checked > 200);
  });

  void test('level and group string are part of the key', () => {
    const low = makeAlert({ ruleId: '5712', level: 3, groups: ['syslog', 'sshd'] });
    const high = makeAlert({ ruleId: '5712', level: 12, groups: ['syslog', 'sshd'] });
    const web = makeAlert({ ruleId: '5712', level: 12, groups: ['web'] });
    assert.deepEqual(boundRules(low, config), [1]);
    assert.deepEqual(boundRules(high, config), [0, 1, 3]);
    assert.deepEqual(boundRules(web, config), [1, 2, 3]);
  });

  void test('disabled rules are never bound', () => {
    assert.ok(!boundRules(makeAlert({ level: 15 }), config).includes(4));
  });
});
