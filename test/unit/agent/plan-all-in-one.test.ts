/**
 * planAllInOne: on a single host every location resolves to the local agent "000", once per
 * firing rule; the matching and white-list checks are the manager's.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LOCAL_AGENT_ID, planAllInOne } from '../../../src/core/match/plan-all-in-one.js';
import { buildArMessage } from '../../../src/protocol/ar-message.js';
import { makeAlert, makeCommand, makeConfig } from '../match/config-builder.js';

const sshd = ['syslog', 'sshd', 'authentication_failures'];

/** One rule per location, all matching group sshd at level >= 5. */
const config = makeConfig({
  nodeName: 'node01',
  networks: ['10.0.0.0/8', '2001:db8::/32'],
  rules: [
    { location: 'server', group: 'sshd', level: 5, timeout: 600 },
    { location: 'local', group: 'sshd', level: 5, timeout: 60 },
    { location: 'defined-agent', agentIds: ['005'], group: 'sshd', level: 5 },
    {
      location: 'all',
      group: 'sshd',
      level: 5,
      command: makeCommand({ name: 'host-deny', executable: 'host-deny' }),
    },
    { location: 'local', rulesId: [31168] },
  ],
});

describe('planAllInOne', () => {
  test('every location (server, local from 001, defined-agent 005, all) fires locally once', () => {
    const alert = makeAlert({ groups: sshd, level: 10, agentId: '001' });
    const plan = planAllInOne(alert, config);
    assert.deepEqual(
      plan.map((d) => [d.ruleIndex, d.arName, d.targets]),
      [
        [0, 'firewall-drop600', [LOCAL_AGENT_ID]],
        [1, 'firewall-drop60', ['000']],
        [2, 'firewall-drop0', ['000']],
        [3, 'host-deny0', ['000']],
      ],
    );
  });

  test('each dispatch carries the message analysisd would build for its AR', () => {
    const alert = makeAlert({ groups: sshd, level: 10, agentId: '001' });
    for (const d of planAllInOne(alert, config)) {
      const rule = config.rules[d.ruleIndex];
      assert.ok(rule);
      assert.deepEqual(
        d.message,
        buildArMessage({ nodeName: 'node01', arName: rule.arName, extraArgs: [], alert: alert.raw }),
      );
      assert.equal(d.command, rule.command);
    }
  });

  test('an alert from the manager itself (000) also fires every location once', () => {
    const plan = planAllInOne(makeAlert({ groups: sshd, level: 10, agentId: '000' }), config);
    assert.equal(plan.length, 4);
    assert.ok(plan.every((d) => d.targets.length === 1 && d.targets[0] === '000'));
  });

  test('only the firing rules are planned', () => {
    const plan = planAllInOne(makeAlert({ ruleId: '31168', groups: ['web'], level: 3 }), config);
    assert.deepEqual(
      plan.map((d) => d.ruleIndex),
      [4],
    );
  });

  test('a white-listed srcip (IPv4 CIDR or IPv6 network) fires nothing', () => {
    for (const srcip of ['10.1.2.3', '2001:db8::7']) {
      const alert = makeAlert({ groups: sshd, level: 10, data: { srcip } });
      assert.deepEqual(planAllInOne(alert, config), [], srcip);
    }
  });

  test('a srcip outside the white list still fires', () => {
    const alert = makeAlert({ groups: sshd, level: 10, data: { srcip: '203.0.113.45' } });
    assert.equal(planAllInOne(alert, config).length, 4);
  });

  test('a disabled rule is not planned', () => {
    const cfg = makeConfig({
      rules: [
        { location: 'all', group: 'sshd', disabled: true },
        { location: 'server', group: 'sshd' },
      ],
    });
    assert.deepEqual(
      planAllInOne(makeAlert({ groups: sshd }), cfg).map((d) => d.ruleIndex),
      [1],
    );
  });
});
