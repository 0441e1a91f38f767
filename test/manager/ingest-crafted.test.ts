/**
 * An alert whose responses a crafted `data.srcip` or `data.dstuser` stops (analysisd's "possible
 * logging attack" checks, reference §3.4) is not silent on the manager: the POST's summary lists
 * Wazuh's (1271) / (1272) warning in `errors`, and riposte.log gets it as a warning, the value
 * JSON-quoted and capped. As in Wazuh, only an alert some response is bound to is checked, and a
 * white-listed source is skipped without a warning. The other lines of the batch are ingested.
 * A real manager host (SQLite) and its ingest; agent 001 enrolled.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ingestAlerts } from '../../src/manager/ingest-alerts.js';
import { memoryDaemonLog } from '../../src/log/daemon-log.js';
import { withManagerHost } from './support/manager-host.js';
import { agentRecord } from '../contract/manager-store.fixtures.js';

const CONF = `<ossec_config>
  <global><white_list>192.0.2.10</white_list></global>
  <command><name>firewall-drop</name><executable>firewall-drop</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>firewall-drop</command><location>local</location><rules_id>5712</rules_id><timeout>600</timeout></active-response>
</ossec_config>
`;

const alert = (id: string, rule: string, data: Record<string, string>): string =>
  JSON.stringify({ id, rule: { id: rule, level: 10 }, agent: { id: '001' }, data });

test('a crafted srcip or dstuser is reported (1271 / 1272) in the summary and the log; the rest of the batch goes on', async () => {
  await withManagerHost(
    'riposte-ingest-crafted-',
    async (host) => {
      await host.store.insertAgent(agentRecord('001'));
      const log = memoryDaemonLog();
      const ctx = { ...host.ctx, log };
      const summary = await ingestAlerts(ctx, [
        alert('c-1', '5712', { srcip: '198.51.100.7; rm -rf /' }),
        alert('c-2', '5712', { srcip: '198.51.100.8', dstuser: 'root\u001b[2J' }),
        alert('c-3', '5712', { srcip: '198.51.100.9' }),
        alert('c-4', '5710', { srcip: '198.51.100.7; id' }), // bound to nothing: not checked
        alert('c-5', '5712', { srcip: '192.0.2.10' }), // white-listed: skipped quietly
        alert('c-6', '5712', { srcip: `1.2.3.4;${'A'.repeat(100)}` }),
      ]);
      const expected = [
        '(1271): Invalid IP Address "198.51.100.7; rm -rf /". Possible logging attack. No active response for alert c-1 (rule 5712).',
        '(1272): Invalid username "root\\u001b[2J". Possible logging attack. No active response for alert c-2 (rule 5712).',
        `(1271): Invalid IP Address "1.2.3.4;${'A'.repeat(56)}"... (108 chars). Possible logging attack. No active response for alert c-6 (rule 5712).`,
      ];
      assert.deepEqual(summary.errors, expected);
      assert.deepEqual(
        log.lines.filter((l) => l.level === 'warn').map((l) => l.msg),
        expected,
      );
      assert.equal(summary.accepted, 6, 'every line is an alert');
      assert.equal(summary.invalid, 0);
      assert.deepEqual(summary.rejected, []);
      assert.equal(summary.dispatches, 1);
      assert.equal(summary.orders, 1);
      assert.deepEqual(
        (await host.store.queuedOrders('001')).map((o) => o.alertId),
        ['c-3'],
      );
    },
    CONF,
  );
});
