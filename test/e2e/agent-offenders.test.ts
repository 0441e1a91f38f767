/**
 * repeated_offenders end to end (reference §2.5): counted per key, even while active; values in
 * minutes; the last value repeats; counts survive a restart (Wazuh loses them).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  arLog,
  arMessage,
  installScript,
  makeHome,
  removeHome,
  startDaemon,
  waitFor,
  writeArConf,
  type Daemon,
} from './support/daemon-harness.js';

const home = makeHome();
after(() => {
  removeHome(home);
});

interface ActiveRow {
  key: string;
  timeoutSec: number;
  repeatCount: number;
}

async function allRecorded(d: Daemon): Promise<void> {
  const deadline = Date.now() + 8000;
  for (;;) {
    const list = await d.api().call<{ items: { status: string }[] }>('GET', '/executions');
    if (!list.items.some((e) => e.status === 'running')) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error('an execution is still running after 8 s');
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('repeated offenders: 30 s, then 1 min, 2 min, 2 min; counts survive a restart', async () => {
  installScript(home, 'e2e/recorder', 'recorder');
  writeArConf(home, ['recorder30 - recorder - 30']);
  writeFileSync(
    join(home, 'etc/ossec.conf'),
    '<ossec_config>\n  <active-response>\n    <disabled>no</disabled>\n    <repeated_offenders>1,2</repeated_offenders>\n  </active-response>\n</ossec_config>\n',
  );
  let d = await startDaemon(home, ['agent']);
  const timeouts: number[] = [];
  const adds = (): number => arLog(home).filter((l) => l.includes(' add 192.0.2.30 ')).length;
  for (let i = 1; i <= 4; i++) {
    if (i === 3) {
      // A restart, not an interrupted execution: the previous add's outcome is recorded first (an
      // add still running at the kill is re-applied at restart, which logs one more add line).
      await allRecorded(d);
      await d.kill9();
      d = await startDaemon(home, ['agent']);
    }
    await d.send(arMessage('recorder30', '192.0.2.30'));
    await waitFor(`add #${i}`, 8000, () => (adds() >= i ? true : undefined));
    const list = await d.api().call<{ items: ActiveRow[] }>('GET', '/active-responses');
    timeouts.push(list.items[0]?.timeoutSec ?? -1);
    assert.equal(list.items[0]?.repeatCount, i);
  }
  assert.deepEqual(timeouts, [30, 60, 120, 120]);
  const answers = arLog(home)
    .filter((l) => l.includes(' add 192.0.2.30 '))
    .map((l) => l.split(' ')[4]);
  assert.deepEqual(answers, ['continue', 'abort', 'abort', 'abort']);
  await d.stop();
});
