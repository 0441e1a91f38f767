import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { planAlert } from '../../../src/core/match/plan-responses.js';
import { buildArMessage } from '../../../src/protocol/ar-message.js';
import type { DecisionCode } from '../../../src/core/match/decision.js';
import { viewAlert, type AlertView } from '../../../src/protocol/alert.js';
import { makeAlert, makeCommand, makeConfig, type AlertSpec, type ConfigSpec } from './config-builder.js';

const agents = [
  { id: '000', active: true },
  { id: '001', active: true },
  { id: '002', active: true },
  { id: '004', active: false },
];

const config = makeConfig({
  nodeName: 'node01',
  networks: ['10.0.0.0/8', '2001:db8:ffff::/48'],
  patterns: ['^localhost.localdomain$'],
  rules: [
    { location: 'local', level: 10, group: 'sshd', timeout: 600 },
    {
      location: 'all',
      rulesId: [31168],
      command: makeCommand({ name: 'host-deny', executable: 'host-deny' }),
    },
    { location: 'server', level: 12 },
    { location: 'local', level: 1, disabled: true },
    { location: 'defined-agent', agentIds: ['002'], group: 'authentication_failed' },
  ],
});

interface Case {
  name: string;
  alert: AlertSpec;
  /** Expected code per rule, in config order. */
  codes: DecisionCode[];
  /** Targets of the firing rules, in order. */
  targets: string[][];
}

const F = 'fires';
const N = 'not-matched';
const D = 'disabled';
const sshd = { groups: ['syslog', 'sshd', 'authentication_failures'] };

const cases: Case[] = [
  {
    name: 'sshd brute force from agent 001',
    alert: { ...sshd, level: 10 },
    codes: [F, N, N, D, N],
    targets: [['001']],
  },
  { name: 'sshd low level: AND fails', alert: { ...sshd, level: 5 }, codes: [N, N, N, D, N], targets: [] },
  {
    name: 'shellshock: all (active, not 000) + server',
    alert: { ruleId: '31168', level: 15, groups: ['web', 'attack'] },
    codes: [N, F, F, D, N],
    targets: [['001', '002'], ['000']],
  },
  {
    name: 'local from the manager -> 000',
    alert: { ...sshd, level: 10, agentId: '000' },
    codes: [F, N, N, D, N],
    targets: [['000']],
  },
  {
    name: 'defined-agent',
    alert: { level: 5, groups: ['windows', 'authentication_failed'] },
    codes: [N, N, N, D, F],
    targets: [['002']],
  },
  {
    name: 'white-listed IPv4 CIDR vetoes all',
    alert: { ...sshd, level: 12, data: { srcip: '10.9.8.7' } },
    codes: [...(['white-listed', N, 'white-listed', D, N] as const)],
    targets: [],
  },
  {
    name: 'white-listed IPv6 network',
    alert: { ...sshd, level: 10, data: { srcip: '2001:db8:ffff::99' } },
    codes: ['white-listed', N, N, D, N],
    targets: [],
  },
  {
    name: '::ffff: mapped white-listed',
    alert: { ...sshd, level: 10, data: { srcip: '::ffff:10.1.1.1' } },
    codes: ['white-listed', N, N, D, N],
    targets: [],
  },
  {
    // The scripts block the Windows address before srcip (reference §5): white-listed, it vetoes.
    name: 'white-listed win.eventdata.ipAddress, no srcip',
    alert: { ...sshd, level: 10, data: { win: { eventdata: { ipAddress: '10.1.1.1' } } } },
    codes: ['white-listed', N, N, D, N],
    targets: [],
  },
  {
    name: 'white-listed win.eventdata.destinationIp beside a srcip that is not',
    alert: {
      ...sshd,
      level: 10,
      data: { srcip: '203.0.113.9', win: { eventdata: { destinationIp: '10.1.1.1' } } },
    },
    codes: ['white-listed', N, N, D, N],
    targets: [],
  },
  {
    name: 'crafted srcip 1.2.3.4;id',
    alert: { ...sshd, level: 10, data: { srcip: '1.2.3.4;id' } },
    codes: ['invalid-srcip', N, N, D, N],
    targets: [],
  },
  {
    name: 'crafted dstuser',
    alert: { ...sshd, level: 10, data: { srcip: '1.2.3.4', dstuser: 'x;reboot' } },
    codes: ['invalid-dstuser', N, N, D, N],
    targets: [],
  },
  {
    name: 'no srcip (FIM-like) fires',
    alert: { level: 12, groups: ['ossec', 'syscheck'], data: {} },
    codes: [N, N, F, D, N],
    targets: [['000']],
  },
  {
    name: 'level 0 alert binds nothing',
    alert: { ...sshd, level: 0, ruleId: '31168' },
    codes: ['alert-level-zero', 'alert-level-zero', 'alert-level-zero', D, 'alert-level-zero'],
    targets: [],
  },
];

void describe('planAlert: one decision per rule, with its reason', () => {
  for (const c of cases) {
    void test(c.name, () => {
      const alert = makeAlert(c.alert);
      const plan = planAlert(alert, config, { agents });
      assert.deepEqual(
        plan.decisions.map((d) => d.code),
        c.codes,
      );
      assert.deepEqual(
        plan.decisions.filter((d) => d.fires).map((d) => d.targets),
        c.targets,
      );
      // `firing` is exactly the firing decisions, in config order, each with its message.
      assert.deepEqual(
        plan.firing,
        plan.decisions.filter((d) => d.fires),
      );
      for (const d of plan.decisions) {
        assert.equal(d.message !== undefined, d.fires, `message iff fires (#${d.ruleIndex})`);
        assert.ok(d.reason.length > 0, `a reason for #${d.ruleIndex}`);
      }
    });
  }

  void test('firing read first, decisions later: every rule once, the firing ones the same objects', () => {
    for (const c of cases) {
      const plan = planAlert(makeAlert(c.alert), config, { agents });
      const firing = plan.firing;
      const decisions = plan.decisions;
      assert.equal(plan.decisions, decisions, `${c.name}: built once`);
      assert.deepEqual(
        decisions.map((d) => [d.ruleIndex, d.code]),
        c.codes.map((code, i) => [i, code]),
        c.name,
      );
      for (const d of firing) {
        assert.equal(decisions[d.ruleIndex], d, `${c.name}: firing #${d.ruleIndex} is its decision`);
      }
    }
  });

  void test('all with no active agent does not fire', () => {
    const alert = makeAlert({ ruleId: '31168', level: 15, groups: ['web'] });
    const d = planAlert(alert, config, { agents: [{ id: '000', active: true }] }).decisions[1];
    assert.equal(d?.code, 'no-targets');
    assert.match(d?.reason ?? '', /no active agent for location "all"/);
    assert.equal(planAlert(alert, config, { agents: [] }).firing.length, 1); // only the server rule
  });

  void test('reasons name the failed criterion', () => {
    const d = planAlert(makeAlert({ ...sshd, level: 5 }), config, { agents }).decisions;
    assert.equal(d[0]?.reason, 'level 5 < 10');
    assert.equal(d[3]?.reason, 'disabled');
  });

  void test('a white-listed srcip gives every bound rule the veto as its reason', () => {
    const d = planAlert(makeAlert({ ...sshd, level: 12, data: { srcip: '10.9.8.7' } }), config, { agents })
      .decisions[0];
    assert.equal(d?.code, 'white-listed');
    assert.match(d?.reason ?? '', /is white-listed/);
  });
});

void describe('planAlert on a single host (riposte start)', () => {
  /** One rule per location, all matching group sshd at level >= 5. */
  const local = makeConfig({
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
  const single = { agents: [], singleHost: true };
  const groups = ['syslog', 'sshd', 'authentication_failures'];

  void test('every location (server, local from 001, defined-agent 005, all) fires on 000 once', () => {
    for (const agentId of ['001', '000']) {
      const plan = planAlert(makeAlert({ groups, level: 10, agentId }), local, single);
      assert.deepEqual(
        plan.firing.map((d) => [d.ruleIndex, d.rule.arName, d.targets]),
        [
          [0, 'firewall-drop600', ['000']],
          [1, 'firewall-drop60', ['000']],
          [2, 'firewall-drop0', ['000']],
          [3, 'host-deny0', ['000']],
        ],
        agentId,
      );
    }
  });

  void test('each firing decision carries the message analysisd would build', () => {
    const alert = makeAlert({ groups, level: 10, agentId: '001' });
    for (const d of planAlert(alert, local, single).firing) {
      assert.deepEqual(
        d.message,
        buildArMessage({ nodeName: 'node01', arName: d.rule.arName, extraArgs: [], alert: alert.raw }),
      );
    }
  });

  void test('the white list and the crafted-input checks still veto', () => {
    for (const srcip of ['10.1.2.3', '2001:db8::7', '1.2.3.4;id']) {
      const alert = makeAlert({ groups, level: 10, data: { srcip } });
      assert.deepEqual(planAlert(alert, local, single).firing, [], srcip);
    }
    const outside = makeAlert({ groups, level: 10, data: { srcip: '203.0.113.45' } });
    assert.equal(planAlert(outside, local, single).firing.length, 4);
  });

  void test('only binding, enabled rules fire', () => {
    const plan = planAlert(makeAlert({ ruleId: '31168', groups: ['web'], level: 3 }), local, single);
    assert.deepEqual(
      plan.firing.map((d) => d.ruleIndex),
      [4],
    );
  });
});

function only(spec: ConfigSpec, alert: AlertView): string {
  const plan = planAlert(alert, makeConfig(spec), { agents }).firing;
  assert.equal(plan.length, 1);
  return JSON.stringify(plan[0]?.message);
}

void describe('AR message', () => {
  // A real-looking alerts.json line; the message must carry it byte for byte.
  const line =
    '{"timestamp":"2026-11-20T08:15:02.123+0000","rule":{"level":10,"description":"sshd: brute force trying to get access to the system. Non existent user.","id":"5712","mitre":{"id":["T1110"],"tactic":["Credential Access"],"technique":["Brute Force"]},"frequency":8,"firedtimes":1,"mail":false,"groups":["syslog","sshd","authentication_failures"],"pci_dss":["11.4","10.2.4","10.2.5"]},"agent":{"id":"001","name":"web-01","ip":"10.0.2.15"},"manager":{"name":"wazuh-manager"},"id":"1763626502.4711","full_log":"Nov 20 08:15:01 web-01 sshd[2326]: Invalid user test from ::ffff:203.0.113.45 port 50256","predecoder":{"program_name":"sshd","timestamp":"Nov 20 08:15:01","hostname":"web-01"},"decoder":{"parent":"sshd","name":"sshd"},"data":{"srcip":"::ffff:203.0.113.45","srcport":"50256","srcuser":"test"},"location":"/var/log/auth.log"}';
  const parsed = viewAlert(JSON.parse(line));
  assert.ok(parsed.ok);
  const alert = parsed.alert;

  void test('exact Wazuh bytes: key order, node name, AR name, extra_args tokens', () => {
    const cmd = makeCommand({
      name: 'custom',
      executable: 'custom.sh',
      extraArgs: ['-arg1', '--arg2', 'arg3', ';', 'cat', '/etc/passwd'],
    });
    const expected =
      '{"version":1,"origin":{"name":"node01","module":"wazuh-analysisd"},"command":"custom300",' +
      '"parameters":{"extra_args":["-arg1","--arg2","arg3",";","cat","/etc/passwd"],"alert":' +
      line +
      '}}';
    assert.equal(
      only({ nodeName: 'node01', rules: [{ command: cmd, level: 3, timeout: 300 }] }, alert),
      expected,
    );
  });

  void test('no node name -> "undefined", no timeout -> suffix 0, empty extra_args', () => {
    const expected =
      '{"version":1,"origin":{"name":"undefined","module":"wazuh-analysisd"},"command":"firewall-drop0",' +
      '"parameters":{"extra_args":[],"alert":' +
      line +
      '}}';
    assert.equal(only({ rules: [{ rulesId: [5712] }] }, alert), expected);
  });

  void test('::ffff: is stripped for the white list only; the message keeps the original srcip', () => {
    const white = makeConfig({ networks: ['203.0.113.0/24'], rules: [{ level: 1 }] });
    assert.equal(planAlert(alert, white, { agents }).firing.length, 0);
    const msg = only({ networks: ['198.51.100.0/24'], rules: [{ level: 1 }] }, alert);
    assert.ok(msg.includes('"srcip":"::ffff:203.0.113.45"'));
  });
});
