/**
 * `riposte start --alerts FILE`: 10,000 alerts written while the file is rotated and truncated
 * mid-stream, and the daemon restarted once: every alert is ingested exactly once.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  daemonLog,
  makeHome,
  removeHome,
  startDaemon,
  waitFor,
  type Daemon,
} from './support/daemon-harness.js';

const home = makeHome();
after(() => {
  removeHome(home);
});

const TOTAL = 10_000;
const CONFIG = `<ossec_config>
  <command><name>firewall-drop</name><executable>firewall-drop</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>firewall-drop</command><location>local</location><rules_id>99999</rules_id><timeout>60</timeout></active-response>
</ossec_config>
`;

function alertLine(n: number): string {
  return JSON.stringify({
    timestamp: '2026-11-20T08:15:17.123+0000',
    rule: { level: 3, description: 'test', id: '5501', groups: ['pam', 'syslog'] },
    agent: { id: '000', name: 'host' },
    id: `1763626517.${n}`,
    data: { srcip: '198.51.100.1' },
  });
}

function ingestedIds(): string[] {
  return daemonLog(home)
    .filter((l) => l.msg === 'alert ingested')
    .map((l) => String(l['alert']));
}

async function writeChunk(file: string, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i += 250) {
    const lines = [];
    for (let j = i; j < Math.min(to, i + 250); j++) {
      lines.push(alertLine(j));
    }
    appendFileSync(file, lines.join('\n') + '\n');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('10,000 alerts across rotation, truncation and a restart: none lost, none doubled', async () => {
  const conf = join(home, 'ossec.conf');
  const alerts = join(home, 'alerts.json');
  writeFileSync(conf, CONFIG);
  writeFileSync(alerts, '');
  const args = ['start', '-c', conf, '--alerts', alerts, '--log-level', 'debug'];
  let d: Daemon = await startDaemon(home, args);
  await writeChunk(alerts, 0, 2500);
  await waitFor('2,500 ingested', 20_000, () => (ingestedIds().length >= 2500 ? true : undefined));
  renameSync(alerts, `${alerts}.1`); // logrotate: rename, then a new file
  await writeChunk(`${alerts}.1`, 2500, 3000); // late writes to the rotated file are still read
  writeFileSync(alerts, '');
  await writeChunk(alerts, 3000, 5000);
  await waitFor('5,000 ingested', 20_000, () => (ingestedIds().length >= 5000 ? true : undefined));
  truncateSync(alerts, 0); // copytruncate
  await writeChunk(alerts, 5000, 7000);
  await waitFor('7,000 ingested', 20_000, () => (ingestedIds().length >= 7000 ? true : undefined));
  assert.equal(await d.stop(), 0);
  await writeChunk(alerts, 7000, 8500); // written while the daemon is down
  d = await startDaemon(home, args);
  await writeChunk(alerts, 8500, TOTAL);
  await waitFor('10,000 ingested', 30_000, () => (ingestedIds().length >= TOTAL ? true : undefined));
  // Once the daemon has stopped nothing more can be ingested: the log is final.
  assert.equal(await d.stop(), 0);
  const ids = ingestedIds();
  assert.equal(ids.length, TOTAL, 'no alert doubled');
  assert.equal(new Set(ids).size, TOTAL, 'no alert lost');
});
