import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runVerdict, wazuhArError, wazuhResult } from '../../src/core/orders/wazuh-result.js';
import { apiArMessage } from '../../src/manager/run-command.js';
import { UNNAMED_NODE } from '../../src/core/config-model.js';

const names = new Set(['mark600', 'restart-wazuh0']);
const ok = { id: '001', exists: true, active: true, arDisabled: false };

describe("Wazuh's PUT /active-response verdicts", () => {
  const cases = [
    ['unknown agent', { ...ok, exists: false, active: false }, 'mark600', 1701],
    ['disconnected agent', { ...ok, active: false }, 'mark600', 1707],
    ['AR disabled on the agent', { ...ok, arDisabled: true }, 'mark600', 1750],
    ['empty command', ok, '', 1650],
    ['command not in ar.conf', ok, 'firewall-drop600', 1652],
    ['ar.conf command', ok, 'mark600', undefined],
    ['custom !script needs no ar.conf entry', ok, '!mark', undefined],
    ['1701 wins over the command check', { ...ok, exists: false }, '', 1701],
  ] as const;
  for (const [name, target, command, code] of cases) {
    test(name, () => {
      assert.equal(runVerdict(target, command, names), code);
    });
  }

  test("result groups failures by code, in Wazuh's render order, with error 2 when some were sent", () => {
    const r = wazuhResult(
      ['001'],
      [
        { id: '010', code: 1707 },
        { id: '009', code: 1701 },
        { id: '003', code: 1707 },
      ],
    );
    assert.equal(r.error, 2);
    assert.equal(r.message, 'AR command was not sent to some agents');
    // Groups by code, each group's ids by number (AffectedItemsWazuhResult.render).
    assert.deepEqual(r.data.failed_items, [
      { error: wazuhArError(1701), id: ['009'] },
      { error: wazuhArError(1707), id: ['003', '010'] },
    ]);
    assert.deepEqual(Object.keys(r.data), [
      'affected_items',
      'total_affected_items',
      'total_failed_items',
      'failed_items',
    ]);
    assert.equal(r.data.total_failed_items, 3);
    assert.equal(r.data.total_affected_items, 1);
  });

  test("4.14's messages and remediations (1652, 1750 as issue #9 found them; 1650 has none)", () => {
    assert.deepEqual(wazuhArError(1652), {
      code: 1652,
      message: 'The command used is not defined in the configuration.',
      remediation:
        'Please, visit the official documentation (https://documentation.wazuh.com/4.14/user-manual/' +
        'capabilities/active-response/how-to-configure.html)to get more information',
    });
    assert.deepEqual(wazuhArError(1750), {
      code: 1750,
      message: 'Could not send restart command, active-response is disabled in the agent',
      remediation: "You can activate it in agents' `WAZUH_HOME/etc/ossec.conf`",
    });
    assert.deepEqual(wazuhArError(1650), { code: 1650, message: 'Active response - Command not specified' });
    assert.equal(
      wazuhArError(1701).remediation,
      'Please, use `GET /agents?select=id,name` to find all available agents',
    );
  });

  test('error 0 when all were sent, 1 when none', () => {
    assert.equal(wazuhResult(['001'], []).message, 'AR command was sent to all agents');
    const none = wazuhResult([], [{ id: '001', code: 1650 }]);
    assert.equal(none.error, 1);
    assert.equal(none.message, 'AR command was not sent to any agent');
    // No agent to send to and no failure (no agent enrolled): Wazuh's none message, error 0.
    const nobody = wazuhResult([], []);
    assert.equal(nobody.error, 0);
    assert.equal(nobody.message, 'AR command was not sent to any agent');
  });
});

describe('the API message (reference §1.9)', () => {
  const req = {
    command: '!notify',
    arguments: ['a b'],
    alert: { data: { srcip: '192.0.2.1' } },
    agents: 'all' as const,
  };

  test("origin is the cluster node's name with module API, or null without a node name", () => {
    assert.equal(
      JSON.stringify(apiArMessage(UNNAMED_NODE, req)),
      '{"version":1,"origin":{"name":null,"module":"API"},"command":"!notify",' +
        '"parameters":{"extra_args":["a b"],"alert":{"data":{"srcip":"192.0.2.1"}}}}',
    );
    assert.deepEqual(apiArMessage('node01', req).origin, { name: 'node01', module: 'API' });
  });
});
