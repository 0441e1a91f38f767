import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describeBinding, ruleBinds } from '../../../src/core/match/rule-binding.js';
import { makeAlert, makeRule, type AlertSpec, type RuleSpec } from './config-builder.js';

interface Case {
  name: string;
  rule: RuleSpec;
  alert: AlertSpec;
  binds: boolean;
  /** Substring the reason must contain. */
  reason: string;
}

const sshd = ['syslog', 'sshd', 'authentication_failures'];

const cases: Case[] = [
  {
    name: 'level alone: equal level binds',
    rule: { level: 10 },
    alert: { level: 10 },
    binds: true,
    reason: 'level 10 >= 10',
  },
  {
    name: 'level alone: lower level does not',
    rule: { level: 10 },
    alert: { level: 3 },
    binds: false,
    reason: 'level 3 < 10',
  },
  {
    name: 'group alone: substring match',
    rule: { group: 'sshd' },
    alert: { level: 3, groups: sshd },
    binds: true,
    reason: 'matches rules_group "sshd"',
  },
  {
    name: 'group substring: sshd matches sshd2,',
    rule: { group: 'sshd' },
    alert: { groups: ['syslog', 'sshd2'] },
    binds: true,
    reason: 'groups "syslog,sshd2," matches',
  },
  {
    name: 'group with comma idiom: sshd, does not match sshd2,',
    rule: { group: 'sshd,' },
    alert: { groups: ['syslog', 'sshd2'] },
    binds: false,
    reason: 'does not match rules_group "sshd,"',
  },
  {
    name: 'group alternation',
    rule: { group: 'web|attack' },
    alert: { groups: ['accesslog', 'attack'] },
    binds: true,
    reason: 'matches',
  },
  {
    name: 'group is case-insensitive',
    rule: { group: 'SSHD' },
    alert: { groups: sshd },
    binds: true,
    reason: 'matches',
  },
  {
    name: 'level+group AND: both ok',
    rule: { level: 6, group: 'sshd' },
    alert: { level: 10, groups: sshd },
    binds: true,
    reason: 'level 10 >= 6 and groups',
  },
  {
    name: 'level+group AND: level too low',
    rule: { level: 12, group: 'sshd' },
    alert: { level: 10, groups: sshd },
    binds: false,
    reason: 'level 10 < 12',
  },
  {
    name: 'level+group AND: group not matched',
    rule: { level: 6, group: 'web' },
    alert: { level: 10, groups: sshd },
    binds: false,
    reason: 'does not match rules_group "web"',
  },
  {
    name: 'rules_id list: second id',
    rule: { rulesId: [5710, 5712] },
    alert: { ruleId: '5712', level: 3 },
    binds: true,
    reason: 'rule 5712 in rules_id 5710,5712',
  },
  {
    name: 'rules_id list: not listed',
    rule: { rulesId: [5710, 5763] },
    alert: { ruleId: '5712' },
    binds: false,
    reason: 'rule 5712 not in rules_id 5710,5763',
  },
  {
    name: 'rules_id ORs with a failed AND',
    rule: { level: 12, group: 'web', rulesId: [5712] },
    alert: { ruleId: '5712', level: 3 },
    binds: true,
    reason: 'rule 5712 in rules_id',
  },
  {
    name: 'rules_id ORs with level',
    rule: { level: 5, rulesId: [1] },
    alert: { ruleId: '5712', level: 7 },
    binds: true,
    reason: 'level 7 >= 5',
  },
  { name: 'no criteria never fires', rule: {}, alert: { level: 15 }, binds: false, reason: 'never fires' },
  {
    name: 'alert level 0 never binds, even by id',
    rule: { rulesId: [5712] },
    alert: { ruleId: '5712', level: 0 },
    binds: false,
    reason: 'level 0',
  },
];

void describe('ruleBinds / describeBinding', () => {
  for (const c of cases) {
    void test(c.name, () => {
      const rule = makeRule(c.rule);
      const alert = makeAlert(c.alert);
      assert.equal(ruleBinds(rule, alert), c.binds);
      assert.ok(
        describeBinding(rule, alert).includes(c.reason),
        `reason ${JSON.stringify(describeBinding(rule, alert))} lacks ${JSON.stringify(c.reason)}`,
      );
    });
  }

  void test('reason never contradicts the decision (property)', () => {
    const groupArb = fc.constantFrom('sshd', 'web', 'attack', 'syscheck');
    fc.assert(
      fc.property(
        fc.record({
          level: fc.option(fc.integer({ min: 1, max: 16 }), { nil: undefined }),
          group: fc.option(groupArb, { nil: undefined }),
          rulesId: fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 3 }),
          alertLevel: fc.integer({ min: 0, max: 16 }),
          groups: fc.subarray(['sshd', 'web', 'attack', 'syscheck', 'syslog']),
          ruleId: fc.integer({ min: 1, max: 4 }),
        }),
        ({ level, group, rulesId, alertLevel, groups, ruleId }) => {
          const spec: RuleSpec = { rulesId };
          if (level !== undefined) {
            spec.level = level;
          }
          if (group !== undefined) {
            spec.group = group;
          }
          const rule = makeRule(spec);
          const alert = makeAlert({ level: alertLevel, groups, ruleId: String(ruleId) });
          const reason = describeBinding(rule, alert);
          const negative = / < |does not match|not in|never|level 0/.test(reason);
          assert.equal(ruleBinds(rule, alert), !negative, reason);
        },
      ),
    );
  });
});
