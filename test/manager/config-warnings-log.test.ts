/**
 * A manager's configuration warnings are in its riposte.log at start (as Wazuh writes them to
 * ossec.log), not only in `riposte check`'s output: here a command defined twice and a
 * repeated_offenders list that would shorten a one-hour block. A real manager host (SQLite).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withManagerHost } from './support/manager-host.js';

const CONF = `<ossec_config>
  <command><name>firewall-drop</name><executable>firewall-drop</executable><timeout_allowed>yes</timeout_allowed></command>
  <command><name>firewall-drop</name><executable>host-deny</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>firewall-drop</command><location>local</location><rules_id>31168</rules_id><timeout>1h</timeout></active-response>
  <active-response><repeated_offenders>30,120</repeated_offenders></active-response>
</ossec_config>
`;

interface LogLine {
  readonly level: number;
  readonly msg: string;
}

test('the configuration warnings are logged as warnings when the manager starts', async () => {
  await withManagerHost(
    'riposte-config-warnings-',
    async (host) => {
      assert.equal(host.config.warnings.length, 2, host.config.warnings.join('\n'));
      const lines = readFileSync(join(host.home, 'logs', 'riposte.log'), 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as LogLine);
      const warned = lines.filter((l) => l.level === 40).map((l) => l.msg);
      assert.deepEqual(warned, host.config.warnings);
      assert.match(warned[0] ?? '', /ossec\.conf:3: Command 'firewall-drop' is already defined at line 2/);
      assert.match(
        warned[1] ?? '',
        /ossec\.conf:5: repeated_offenders: the 2nd offence of firewall-drop3600/,
      );
    },
    CONF,
  );
});
