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
import { openSqliteAgentStore } from '../../src/store/sqlite-agent-store.js';

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

/** The stored deadline (expiresAt) of the active response for `ip`, read from the agent's store. */
function storedDeadline(home: string, ip: string): number | undefined {
  const store = openSqliteAgentStore(join(home, 'var', 'agent.db'));
  try {
    return store.listActive().find((a) => a.srcip === ip)?.expiresAt;
  } finally {
    store.close();
  }
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
  test('add then revert at the deadline, never before it', async () => {
    const home = setup(2);
    homes.push(home);
    const d = await start(home);
    const sent = Date.now();
    await d.send(arMessage('recorder2', '192.0.2.10'));
    const del = await waitFor('the delete', 30_000, () =>
      events(home, '192.0.2.10').find((e) => e.action === 'delete'),
    );
    const add = events(home, '192.0.2.10').find((e) => e.action === 'add');
    assert.equal(add?.answer, 'continue');
    // Never early; how late depends on the machine's load (measured by benchmarks, not here).
    const late = del.at - (add?.at ?? sent) - 2000;
    assert.ok(late >= -50, `delete ${-late} ms before the deadline`);
    assert.equal(await d.stop(), 0);
  });

  test('a repeat is aborted and moves the deadline', async () => {
    const home = setup(3);
    homes.push(home);
    const d = await start(home);
    await d.send(arMessage('recorder3', '192.0.2.11'));
    const first = await waitFor('the first add', 15_000, () => events(home, '192.0.2.11')[0]);
    // The repeat comes 1.5 s after the first add (a wait for a clock time), so a deadline that did
    // not move would fire about 1.5 s after the repeat, a moved one 3 s after it.
    await new Promise((r) => setTimeout(r, Math.max(0, first.at + 1500 - Date.now())));
    await d.send(arMessage('recorder3', '192.0.2.11'));
    const second = await waitFor('the repeat', 15_000, () => events(home, '192.0.2.11')[1]);
    assert.equal(second.action, 'add');
    assert.equal(second.answer, 'abort');
    const del = await waitFor('the delete', 30_000, () =>
      events(home, '192.0.2.11').find((e) => e.action === 'delete'),
    );
    const sinceRepeat = del.at - second.at;
    assert.ok(sinceRepeat >= 2900, `delete ${sinceRepeat} ms after the repeat: the deadline did not move`);
    assert.equal(events(home, '192.0.2.11').filter((e) => e.action === 'delete').length, 1);
    await d.stop();
  });

  test('kill -9 between add and revert: the revert still fires on time after restart', async () => {
    const home = setup(4);
    homes.push(home);
    let d = await start(home);
    await d.send(arMessage('recorder4', '192.0.2.12'));
    await waitFor('the add', 15_000, () => events(home, '192.0.2.12')[0]);
    // Persisted before `continue`, so the add line means the deadline is stored.
    const deadline = storedDeadline(home, '192.0.2.12');
    assert.ok(deadline !== undefined, 'the response is stored');
    await d.kill9();
    assert.equal(events(home, '192.0.2.12').length, 1, 'nothing reverted by the crash');
    d = await start(home);
    // The restart keeps the original deadline (unless the revert already ran, which it may on a
    // slow machine: then it is gone).
    const kept = storedDeadline(home, '192.0.2.12');
    assert.ok(kept === undefined || kept === deadline, `deadline moved from ${deadline} to ${kept}`);
    const del = await waitFor('the delete', 30_000, () =>
      events(home, '192.0.2.12').find((e) => e.action === 'delete'),
    );
    assert.ok(del.at >= deadline - 50, `delete ${deadline - del.at} ms before the original deadline`);
    await d.stop();
  });

  test('a clean stop keeps active responses; --revert-on-stop reverts them (Wazuh 1314)', async () => {
    const home = setup(60);
    homes.push(home);
    let d = await start(home);
    await d.send(arMessage('recorder60', '192.0.2.13'));
    await waitFor('the add', 15_000, () => events(home, '192.0.2.13')[0]);
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
    await waitFor('the add', 15_000, () => events(home, '192.0.2.14')[0]);
    const before = await d.api().call<{ items: { expiresAt: string }[] }>('GET', '/active-responses');
    await d.kill9();
    writeFileSync(bootId, 'boot-b\n');
    d = await start(home, ['--boot-id-file', bootId]);
    const reapplied = await waitFor('the re-apply', 15_000, () => events(home, '192.0.2.14')[1]);
    assert.equal(reapplied.action, 'add');
    assert.equal(reapplied.answer, 'continue');
    const afterList = await d.api().call<{ items: { expiresAt: string }[] }>('GET', '/active-responses');
    assert.equal(afterList.items[0]?.expiresAt, before.items[0]?.expiresAt, 'deadline unchanged');
    const history = await d.api().call<{ items: { action: string }[] }>('GET', '/executions?limit=5');
    assert.equal(history.items[0]?.action, 'reapply');
    await d.stop();
  });
});
