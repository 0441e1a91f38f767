/**
 * `riposte start --alerts FILE`: a line of the tailed file that is not an alert is logged with
 * the file and the byte offset where it starts (a batch's own line number would point a reader
 * at the wrong line), and the lines around it are ingested. No response is bound to the alerts'
 * rule, so nothing touches the host.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { daemonLog, makeHome, removeHome, startDaemon, waitFor } from './support/daemon-harness.js';

const home = makeHome();
after(() => {
  removeHome(home);
});

const CONFIG = `<ossec_config>
  <command><name>firewall-drop</name><executable>firewall-drop</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>firewall-drop</command><location>local</location><rules_id>99999</rules_id><timeout>60</timeout></active-response>
</ossec_config>
`;

const alert = (id: string, note = ''): string =>
  JSON.stringify({ id, rule: { id: '5501', level: 3, description: `test ${note}` }, agent: { id: '000' } });

test('a bad line of alerts.json is named by the file and its offset; its neighbours are ingested', async () => {
  const conf = join(home, 'ossec.conf');
  const file = join(home, 'alerts.json');
  writeFileSync(conf, CONFIG);
  // Written before the start: the tail begins at the file's end, so it is not read, but it counts
  // in the offsets.
  const before = `${alert('a-0')}\n`;
  writeFileSync(file, before);
  const d = await startDaemon(home, ['start', '-c', conf, '--alerts', file, '--log-level', 'debug']);
  try {
    // Multi-byte text before the bad lines: offsets are bytes, not characters.
    const lines = [
      alert('a-1', 'é€ 🛡'),
      '{"id":"a-2",',
      alert('a-3'),
      '{"id":"a-4","rule":"5501"}',
      alert('a-5'),
    ];
    appendFileSync(file, lines.map((l) => `${l}\n`).join(''));
    const starts: number[] = [];
    let at = Buffer.byteLength(before);
    for (const l of lines) {
      starts.push(at);
      at += Buffer.byteLength(l) + 1;
    }
    const ingested = (): string[] =>
      daemonLog(home)
        .filter((l) => l.msg === 'alert ingested')
        .map((l) => String(l['alert']));
    const warnings = (): string[] =>
      daemonLog(home)
        .filter((l) => l.level === 40 && l.msg.startsWith('alerts file'))
        .map((l) => l.msg);
    // The log is read while the daemon writes it: wait until every line the batch should give is
    // there (the warnings follow the commit), then check them all.
    await waitFor('a-5 ingested and two lines warned of', 20_000, () =>
      ingested().includes('a-5') && warnings().length >= 2 ? true : undefined,
    );
    assert.deepEqual(ingested(), ['a-1', 'a-3', 'a-5']);
    const warned = warnings();
    // JSON.parse's own words vary with V8's version: only their start is checked.
    assert.deepEqual(
      warned.map((w) => w.replace(/invalid JSON: .*/, 'invalid JSON: ...')),
      [
        `alerts file '${file}', the line at offset ${starts[1]}: invalid JSON: ...`,
        `alerts file '${file}', the line at offset ${starts[3]}: alert has no 'rule' object`,
      ],
    );
  } finally {
    assert.equal(await d.stop(), 0);
  }
});
