/**
 * Execd reverts, restore after a restart or reboot, the revert scheduler, and intake errors
 * (reference §2.3, §2.4, §2.6), in-process with the fake runner and a temporary SQLite store.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ActiveResponse } from '../../../src/protocol/execution-records.js';
import { rewriteForScript } from '../../../src/protocol/ar-message.js';
import { getString, parseLenientJson } from '../../../src/protocol/json.js';
import { tempAgentStore } from '../../support/temp-agent-store.js';
import { arMessage, commandOf, FW, harness, T0 } from './execd-fixture.js';

const IP = '203.0.113.45';
const KEY = `firewall-drop-${IP}`;

/** A stored active response as a previous run of the agent left it. */
function stored(key: string, srcip: string, expiresAt: number): ActiveResponse {
  const msg = arMessage('firewall-drop600', srcip);
  return {
    key,
    arName: 'firewall-drop600',
    program: FW,
    deleteMessage: JSON.stringify(rewriteForScript(msg, 'delete', FW)),
    addMessage: JSON.stringify(rewriteForScript(msg, 'add', FW)),
    agentId: '001',
    createdAt: expiresAt - 600_000,
    addedAt: expiresAt - 600_000,
    timeoutSec: 600,
    expiresAt,
    repeatCount: 1,
    alertId: '1763626502.1',
    ruleId: 5712,
    srcip,
    user: 'root',
  };
}

describe('Execd revert', () => {
  test('revert -> the stored delete line goes to the script, the record is removed', async () => {
    const h = harness();
    await h.submit('firewall-drop600', IP);
    const deleteMessage = h.store.getActive(KEY)?.deleteMessage;
    const result = await h.execd.revert(KEY);
    assert.equal(result?.reverted, true);
    const [run] = h.runner.of('delete');
    assert.ok(run);
    assert.equal(run.inv.line, deleteMessage);
    assert.equal(commandOf(run.inv.line), 'delete');
    assert.equal(getString(parseLenientJson(run.inv.line), ['origin', 'module']), 'wazuh-execd');
    assert.equal(run.inv.decide, undefined, 'deletes never go through the handshake');
    assert.equal(h.store.getActive(KEY), undefined);
    assert.equal(h.execd.armed, 0);
    const exec = h.store.getExecution(result?.executionId ?? -1);
    assert.ok(exec);
    assert.equal(exec.action, 'delete');
    assert.equal(exec.status, 'ok');
    assert.equal(exec.key, KEY);
    assert.equal(exec.note, 'revert (manual)');
  });

  test('a failing delete is recorded as failed and the record is still removed', async () => {
    const h = harness();
    await h.submit('firewall-drop600', IP);
    h.runner.next.push({ exitCode: 1 });
    const result = await h.execd.revert(KEY);
    assert.equal(h.store.getExecution(result?.executionId ?? -1)?.status, 'failed');
    assert.equal(h.store.countActive(), 0);
  });

  test('revert of an unknown key runs nothing', async () => {
    const h = harness();
    assert.deepEqual(await h.execd.revert('firewall-drop-9.9.9.9'), {
      executionId: undefined,
      reverted: false,
    });
    assert.equal(h.runner.runs.length, 0);
  });

  test('a revert arriving while a repeat add is mid-handshake waits for it', async () => {
    const h = harness();
    await h.submit('firewall-drop600', IP);
    let release: () => void = () => undefined;
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    h.runner.next.push({ firstLine: 'check-keys', hold });
    const repeat = h.submit('firewall-drop600', IP, 'second.2');
    const revert = h.execd.revert(KEY);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(h.runner.of('delete').length, 0, 'the delete waits for the unresolved add');
    release();
    const [added, reverted] = await Promise.all([repeat, revert]);
    assert.equal(added?.decision, 'extended', 'the repeat saw the response still active');
    assert.equal(reverted?.reverted, true);
    assert.deepEqual(
      h.runner.runs.map((r) => commandOf(r.reply) ?? r.inv.mode),
      ['continue', 'abort', 'delete'],
    );
    assert.equal(h.store.countActive(), 0);
  });

  test('stop(true) reverts everything and logs (1314)', async () => {
    const h = harness();
    await h.submit('firewall-drop600', IP);
    await h.submit('firewall-drop600', '198.51.100.7');
    await h.execd.stop(true);
    assert.equal(h.store.countActive(), 0);
    assert.equal(h.runner.of('delete').length, 2);
    assert.ok(
      h.log.lines.some(
        (l) => l.level === 'info' && l.msg === '(1314): Shutdown received. Deleting responses.',
      ),
    );
  });
});

describe('Execd restore', () => {
  test('restore(false): pending responses are armed, nothing runs', async () => {
    const store = tempAgentStore();
    store.putActive(stored(KEY, IP, T0 + 300_000));
    const h = harness({ store });
    assert.deepEqual(await h.execd.restore(false), { armed: 1, reverted: 0, reapplied: 0, interrupted: 0 });
    assert.equal(h.execd.armed, 1);
    assert.equal(h.runner.runs.length, 0);
    assert.equal(h.store.getActive(KEY)?.expiresAt, T0 + 300_000);
    await h.execd.stop(false);
  });

  test('restore(true): re-applies with action reapply, answers continue, keeps the deadline', async () => {
    const store = tempAgentStore();
    const before = stored(KEY, IP, T0 + 300_000);
    store.putActive(before);
    const h = harness({ store });
    assert.deepEqual(await h.execd.restore(true), { armed: 1, reverted: 0, reapplied: 1, interrupted: 0 });
    const [run] = h.runner.of('add');
    assert.equal(commandOf(run?.inv.line), 'add');
    assert.equal(commandOf(run?.reply), 'continue');
    assert.equal(h.execd.armed, 1);
    assert.deepEqual(h.store.getActive(KEY), before);
    const [exec] = h.store.listExecutions();
    assert.equal(exec?.action, 'reapply');
    assert.equal(exec?.key, KEY);
    assert.equal(exec?.status, 'ok');
    await h.execd.stop(false);
  });

  test('overdue at restore -> reverted at once (restart or reboot), the pending one armed', async () => {
    for (const rebooted of [false, true]) {
      const store = tempAgentStore();
      store.putActive(stored('firewall-drop-198.51.100.1', '198.51.100.1', T0 - 1));
      store.putActive(stored(KEY, IP, T0 + 60_000));
      const h = harness({ store });
      const summary = await h.execd.restore(rebooted);
      assert.deepEqual(summary, { armed: 1, reverted: 1, reapplied: rebooted ? 1 : 0, interrupted: 0 });
      await h.execd.idle();
      assert.deepEqual(
        h.store.listActive().map((a) => a.key),
        [KEY],
      );
      const deletes = h.store.listExecutions().filter((e) => e.action === 'delete');
      assert.deepEqual(
        deletes.map((e) => [e.key, e.note]),
        [['firewall-drop-198.51.100.1', 'revert (restore)']],
      );
      await h.execd.stop(false);
    }
  });

  test('restore marks executions left running as interrupted and warns', async () => {
    const store = tempAgentStore();
    store.startExecution({
      key: KEY,
      arName: 'firewall-drop600',
      program: FW,
      action: 'add',
      agentId: '001',
      alertId: undefined,
      ruleId: undefined,
      srcip: IP,
      user: undefined,
      startedAt: T0 - 5000,
    });
    const h = harness({ store });
    await h.execd.restore(false);
    assert.equal(h.store.listExecutions()[0]?.status, 'failed');
    assert.ok(h.log.lines.some((l) => l.level === 'warn' && /1 execution\(s\) were interrupted/.test(l.msg)));
  });
});

describe('Execd scheduler', () => {
  test('fires the revert at the deadline (mock timers), not before', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const h = harness();
    await h.submit('firewall-drop600', IP);
    // The scheduler sleeps at most 60 s at a time; at T0+60 s nothing is due yet.
    h.clock.t = T0 + 60_000;
    t.mock.timers.tick(60_000);
    await h.execd.idle();
    assert.equal(h.runner.of('delete').length, 0);
    assert.equal(h.store.countActive(), 1);
    h.clock.t = T0 + 600_000;
    t.mock.timers.tick(60_000);
    await h.execd.idle();
    assert.equal(h.runner.of('delete').length, 1);
    assert.equal(h.store.countActive(), 0);
    assert.equal(h.store.listExecutions()[0]?.note, 'revert (timeout)');
  });

  test('a repeat moves the deadline: the old timer finds nothing due and re-arms', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const h = harness();
    await h.submit('firewall-drop1', IP);
    h.clock.t = T0 + 500;
    await h.submit('firewall-drop1', IP);
    h.clock.t = T0 + 1000;
    t.mock.timers.tick(1000);
    await h.execd.idle();
    assert.equal(h.store.countActive(), 1, 'extended to T0 + 1500');
    h.clock.t = T0 + 1500;
    t.mock.timers.tick(500);
    await h.execd.idle();
    assert.equal(h.store.countActive(), 0);
    assert.equal(h.runner.of('delete').length, 1);
  });

  test('a repeat racing the due revert wins: the delete re-checks under the lock and re-arms', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const h = harness();
    await h.submit('firewall-drop1', IP);
    let release: () => void = () => undefined;
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    h.runner.next.push({ firstLine: 'check-keys', hold });
    h.clock.t = T0 + 999;
    const repeat = h.submit('firewall-drop1', IP, 'second.2');
    h.clock.t = T0 + 1000;
    t.mock.timers.tick(1000); // due now; the delete queues behind the unresolved repeat
    await new Promise((resolve) => setImmediate(resolve));
    release();
    assert.equal((await repeat)?.decision, 'extended');
    await h.execd.idle();
    assert.equal(h.runner.of('delete').length, 0, 'the extended response is not reverted');
    assert.equal(h.store.getActive(KEY)?.expiresAt, T0 + 2000);
    assert.equal(h.execd.armed, 1);
    h.clock.t = T0 + 2000;
    t.mock.timers.tick(1000);
    await h.execd.idle();
    assert.equal(h.runner.of('delete').length, 1);
    assert.equal(h.store.countActive(), 0);
  });

  test('real timer: a restored response due in ~100 ms is reverted by the scheduler, not before', async () => {
    const store = tempAgentStore();
    const due = Date.now() + 100;
    store.putActive(stored(KEY, IP, due));
    const h = harness({ store, now: () => Date.now() });
    await h.execd.restore(false);
    // Polls the observable outcome with a bounded deadline (no fixed sleep).
    const giveUp = Date.now() + 10_000;
    while (!(h.store.countActive() === 0 && h.executions.length === 1)) {
      assert.ok(Date.now() < giveUp, 'not reverted within 10 s of its deadline');
      await new Promise((r) => setTimeout(r, 10));
    }
    await h.execd.idle();
    const revert = h.store.getExecution(h.executions[0] ?? -1);
    assert.equal(revert?.action, 'delete');
    assert.ok((revert?.startedAt ?? 0) >= due, `reverted ${due - (revert?.startedAt ?? 0)} ms early`);
    await h.execd.stop(false);
  });
});

describe('Execd intake', () => {
  const cases = [
    { raw: 'not json at all', log: "(1315): Invalid JSON message: 'not json at all'" },
    // Valid JSON that is no object has no string command: 1316, as in execd (reference §2.3).
    { raw: '[1,2,3]', log: "(1316): Invalid AR command: '[1,2,3]'" },
    { raw: '"add"', log: `(1316): Invalid AR command: '"add"'` },
    { raw: 'null', log: "(1316): Invalid AR command: 'null'" },
    { raw: '{"version":1,"command":7}', log: `(1316): Invalid AR command: '{"version":1,"command":7}'` },
    { raw: '{"version":1}', log: `(1316): Invalid AR command: '{"version":1}'` },
    { raw: '{"version":1,"command":"x"}', log: "(1311): Invalid command name 'x' provided." },
  ];
  for (const c of cases) {
    test(`${c.raw} -> ${c.log.slice(0, 6)}, nothing runs`, async () => {
      const h = harness();
      assert.equal(await h.execd.submit(c.raw), undefined);
      const errors = h.log.lines.filter((l) => l.level === 'error').map((l) => l.msg);
      assert.deepEqual(errors, [c.log]);
      assert.equal(h.runner.runs.length, 0);
      assert.deepEqual(h.store.listExecutions(), []);
    });
  }

  test('trailing junk after the JSON object is accepted (lenient parse)', async () => {
    const h = harness();
    const result = await h.execd.submit(`${JSON.stringify(arMessage('firewall-drop600', IP))}garbage`);
    assert.equal(result?.key, KEY);
  });
});
