/**
 * The agent daemon end to end: real process, real scripts, messages on the execq socket.
 * Deadlines, repeats, kill -9 and simulated reboots.
 */
import { after, describe, test } from 'node:test';
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

interface LogEvent {
  readonly at: number;
  readonly action: string;
  readonly ip: string;
  readonly answer: string | undefined;
}

/** Parses the recorder fixture's lines. */
function events(home: string, ip: string): LogEvent[] {
  return arLog(home)
    .map((l) => l.split(' '))
    .filter((p) => p[1] === 'recorder' && p[3] === ip)
    .map((p) => ({ at: Number(p[0]) * 1000, action: p[2] ?? '', ip: p[3] ?? '', answer: p[4] }));
}

function setup(timeoutSec: number): string {
  const home = makeHome();
  installScript(home, 'e2e/recorder', 'recorder');
  writeArConf(home, [`recorder${timeoutSec} - recorder - ${timeoutSec}`]);
  return home;
}

const homes: string[] = [];
const daemons: Daemon[] = [];
after(async () => {
  for (const d of daemons) {
    if (d.proc.exitCode === null) {
      await d.kill9();
    }
  }
  homes.forEach(removeHome);
});

async function start(home: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Daemon> {
  const d = await startDaemon(home, ['agent', ...extra], env);
  daemons.push(d);
  return d;
}

describe('agent daemon: stateful responses', () => {
  test('add then revert at the deadline (within 2 s)', async () => {
    const home = setup(2);
    homes.push(home);
    const d = await start(home);
    const sent = Date.now();
    await d.send(arMessage('recorder2', '192.0.2.10'));
    const del = await waitFor('the delete', 8000, () =>
      events(home, '192.0.2.10').find((e) => e.action === 'delete'),
    );
    const add = events(home, '192.0.2.10').find((e) => e.action === 'add');
    assert.equal(add?.answer, 'continue');
    const late = del.at - (add?.at ?? sent) - 2000;
    assert.ok(late >= -50 && late < 2000, `delete ${late} ms after the deadline`);
    assert.equal(await d.stop(), 0);
  });

  test('a repeat is aborted and moves the deadline', async () => {
    const home = setup(3);
    homes.push(home);
    const d = await start(home);
    await d.send(arMessage('recorder3', '192.0.2.11'));
    await waitFor('the first add', 5000, () => events(home, '192.0.2.11')[0]);
    await new Promise((r) => setTimeout(r, 1500));
    await d.send(arMessage('recorder3', '192.0.2.11'));
    const second = await waitFor('the repeat', 5000, () => events(home, '192.0.2.11')[1]);
    assert.equal(second.action, 'add');
    assert.equal(second.answer, 'abort');
    const del = await waitFor('the delete', 10_000, () =>
      events(home, '192.0.2.11').find((e) => e.action === 'delete'),
    );
    const sinceRepeat = del.at - second.at;
    assert.ok(sinceRepeat >= 2900 && sinceRepeat < 5000, `delete ${sinceRepeat} ms after the repeat`);
    assert.equal(events(home, '192.0.2.11').filter((e) => e.action === 'delete').length, 1);
    await d.stop();
  });

  test('kill -9 between add and revert: the revert still fires on time after restart', async () => {
    const home = setup(4);
    homes.push(home);
    let d = await start(home);
    await d.send(arMessage('recorder4', '192.0.2.12'));
    const add = await waitFor('the add', 5000, () => events(home, '192.0.2.12')[0]);
    await d.kill9();
    assert.equal(events(home, '192.0.2.12').length, 1, 'nothing reverted by the crash');
    d = await start(home);
    const del = await waitFor('the delete', 10_000, () =>
      events(home, '192.0.2.12').find((e) => e.action === 'delete'),
    );
    const late = del.at - add.at - 4000;
    assert.ok(late >= -50 && late < 2000, `delete ${late} ms after the original deadline`);
    await d.stop();
  });

  test('a clean stop keeps active responses; --revert-on-stop reverts them (Wazuh 1314)', async () => {
    const home = setup(60);
    homes.push(home);
    let d = await start(home);
    await d.send(arMessage('recorder60', '192.0.2.13'));
    await waitFor('the add', 5000, () => events(home, '192.0.2.13')[0]);
    assert.equal(await d.stop(), 0);
    assert.equal(events(home, '192.0.2.13').length, 1);
    d = await start(home, ['--revert-on-stop']);
    const list = await d.api().call<{ items: { key: string }[] }>('GET', '/active-responses');
    assert.deepEqual(
      list.items.map((i) => i.key),
      ['recorder-192.0.2.13'],
    );
    await d.stop();
    assert.equal(events(home, '192.0.2.13').filter((e) => e.action === 'delete').length, 1);
  });

  test('simulated reboot: active responses are re-applied, then re-armed for their deadline', async () => {
    const home = setup(60);
    homes.push(home);
    const bootId = join(home, 'boot_id');
    writeFileSync(bootId, 'boot-a\n');
    let d = await start(home, ['--boot-id-file', bootId]);
    await d.send(arMessage('recorder60', '192.0.2.14'));
    await waitFor('the add', 5000, () => events(home, '192.0.2.14')[0]);
    const before = await d.api().call<{ items: { expiresAt: number }[] }>('GET', '/active-responses');
    await d.kill9();
    writeFileSync(bootId, 'boot-b\n');
    d = await start(home, ['--boot-id-file', bootId]);
    const reapplied = await waitFor('the re-apply', 5000, () => events(home, '192.0.2.14')[1]);
    assert.equal(reapplied.action, 'add');
    assert.equal(reapplied.answer, 'continue');
    const afterList = await d.api().call<{ items: { expiresAt: number }[] }>('GET', '/active-responses');
    assert.equal(afterList.items[0]?.expiresAt, before.items[0]?.expiresAt, 'deadline unchanged');
    const history = await d.api().call<{ items: { action: string }[] }>('GET', '/executions?limit=5');
    assert.equal(history.items[0]?.action, 'reapply');
    await d.stop();
  });
});
