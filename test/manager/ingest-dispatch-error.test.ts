/**
 * An alert whose planning throws (here a white-list pattern whose matcher fails on the second
 * alert's source address) is rejected on its own, with the manager log saying why, and the other
 * alerts of the batch are ingested and their orders queued. A real manager host (SQLite).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ingestAlerts } from '../../src/manager/ingest-alerts.js';
import { memoryDaemonLog } from '../../src/log/daemon-log.js';
import { withManagerHost } from './support/manager-host.js';
import { agentRecord } from '../contract/manager-store.fixtures.js';

const CONF = `<ossec_config>
  <command><name>firewall-drop</name><executable>firewall-drop</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>firewall-drop</command><location>local</location><rules_id>5712</rules_id><timeout>600</timeout></active-response>
</ossec_config>
`;

const alert = (id: string, srcip: string): string =>
  JSON.stringify({ id, rule: { id: '5712', level: 10 }, agent: { id: '001' }, data: { srcip } });

test('an alert whose planning throws is rejected alone, logged with its line; the batch goes on', async () => {
  await withManagerHost(
    'riposte-ingest-dispatch-error-',
    async (host) => {
      await host.store.insertAgent(agentRecord('001'));
      const log = memoryDaemonLog();
      const failing = {
        source: 'failing-matcher',
        test: (text: string): boolean => {
          if (text === '198.51.100.2') {
            throw new Error('matcher failed');
          }
          return false;
        },
      };
      const config = { ...host.ctx.config, whiteList: { ...host.ctx.config.whiteList, patterns: [failing] } };
      const summary = await ingestAlerts({ ...host.ctx, log, config }, [
        alert('d-1', '198.51.100.1'),
        alert('d-2', '198.51.100.2'),
        alert('d-3', '198.51.100.3'),
      ]);
      assert.equal(summary.accepted, 2);
      assert.equal(summary.invalid, 1);
      assert.deepEqual(summary.rejected, [
        { line: 2, error: 'the alert could not be dispatched (see the manager log)' },
      ]);
      assert.deepEqual(
        log.lines.filter((l) => l.level === 'error').map((l) => l.msg),
        ['line 2: the alert could not be dispatched: Error: matcher failed'],
      );
      assert.equal(summary.orders, 2);
      assert.deepEqual(
        (await host.store.queuedOrders('001')).map((o) => o.alertId),
        ['d-1', 'd-3'],
      );
    },
    CONF,
  );
});
