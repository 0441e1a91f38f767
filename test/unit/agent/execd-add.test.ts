/**
 * Execd add flow in-process (reference §2.3, §2.5): fake script runner, temporary SQLite store, fixed clock.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rewriteForScript } from '../../../src/protocol/ar-message.js';
import { LATE_NOTE } from '../../../src/agent/execd/run-add.js';
import { arMessage, commandOf, FW, harness, T0 } from './execd-fixture.js';

const IP = '203.0.113.45';
const KEY = `firewall-drop-${IP}`;

describe('Execd add', () => {
  test('add -> continue, stored active with deadline now + timeout, armed, recorded', async () => {
    const h = harness();
    const result = await h.submit('firewall-drop600', IP);
    assert.deepEqual(result && { key: result.key, decision: result.decision }, {
      key: KEY,
      decision: 'started',
    });
    const [run] = h.runner.of('add');
    assert.equal(commandOf(run?.inv.line), 'add');
    assert.equal(commandOf(run?.reply), 'continue');
    const active = h.store.getActive(KEY);
    assert.ok(active);
    assert.equal(active.expiresAt, T0 + 600_000);
    assert.equal(active.timeoutSec, 600);
    assert.equal(active.arName, 'firewall-drop600');
    assert.equal(active.srcip, IP);
    assert.equal(active.user, 'root');
    assert.equal(active.ruleId, 5712);
    assert.equal(h.execd.armed, 1);
    const exec = h.store.getExecution(result?.executionId ?? -1);
    assert.equal(exec?.action, 'add');
    assert.equal(exec?.status, 'ok');
    assert.equal(exec?.key, KEY);
    assert.deepEqual(h.executions, [result?.executionId]);
  });

  test('the line written is the message rewritten for the script; the delete is stored alike', async () => {
    const h = harness();
    await h.submit('firewall-drop600', IP);
    const msg = arMessage('firewall-drop600', IP);
    assert.equal(h.runner.of('add')[0]?.inv.line, JSON.stringify(rewriteForScript(msg, 'add', FW)));
    assert.equal(h.runner.of('add')[0]?.inv.program, FW);
    assert.equal(h.store.getActive(KEY)?.deleteMessage, JSON.stringify(rewriteForScript(msg, 'delete', FW)));
  });

  test('repeat while active -> abort, refreshed deadline, first alert kept', async () => {
    const h = harness();
    await h.submit('firewall-drop600', IP, 'first.1');
    h.clock.t = T0 + 100_000;
    const result = await h.submit('firewall-drop600', IP, 'second.2');
    assert.equal(result?.decision, 'extended');
    assert.equal(commandOf(h.runner.of('add')[1]?.reply), 'abort');
    const active = h.store.getActive(KEY);
    assert.ok(active);
    assert.equal(active.expiresAt, T0 + 100_000 + 600_000);
    assert.equal(active.addedAt, T0 + 100_000);
    assert.equal(active.createdAt, T0);
    assert.equal(active.repeatCount, 2);
    assert.equal(active.alertId, 'first.1');
    assert.match(active.deleteMessage, /"id":"first\.1"/);
    assert.equal(h.store.getExecution(result?.executionId ?? -1)?.action, 'abort');
    assert.equal(h.store.countActive(), 1);
    assert.equal(h.execd.armed, 1);
  });

  test('stateless AR (timeout 0) -> continue, nothing stored or armed', async () => {
    const h = harness();
    const result = await h.submit('firewall-drop0', IP);
    assert.equal(result?.decision, 'untracked');
    assert.equal(commandOf(h.runner.of('add')[0]?.reply), 'continue');
    assert.equal(h.store.countActive(), 0);
    assert.equal(h.execd.armed, 0);
    const again = await h.submit('firewall-drop0', IP);
    assert.equal(again?.decision, 'untracked', 'a stateless AR is never aborted');
    assert.equal(h.store.getOffenderCount(KEY), 0, 'timeout 0 is not counted');
  });

  test('non-JSON first line -> key is the script basename; the next add is aborted', async () => {
    const h = harness();
    h.runner.fallback = { firstLine: 'hello, not json' };
    const first = await h.submit('firewall-drop600', IP);
    const second = await h.submit('firewall-drop600', '198.51.100.9');
    assert.equal(first?.key, 'firewall-drop');
    assert.equal(second?.decision, 'extended');
    assert.deepEqual(
      h.store.listActive().map((a) => a.key),
      ['firewall-drop'],
    );
  });

  test('check_keys with no keys -> key is the basename', async () => {
    const h = harness();
    h.runner.next.push({
      firstLine: '{"version":1,"origin":{},"command":"check_keys","parameters":{"keys":[]}}',
    });
    const result = await h.submit('firewall-drop600', IP);
    assert.equal(result?.key, 'firewall-drop');
  });

  test('EOF before any line -> not tracked, no reply, noted and logged', async () => {
    const h = harness();
    h.runner.next.push({ firstLine: undefined });
    const result = await h.submit('firewall-drop600', IP);
    assert.deepEqual(result && { key: result.key, decision: result.decision }, {
      key: undefined,
      decision: 'none',
    });
    assert.equal(h.runner.of('add')[0]?.reply, undefined);
    assert.equal(h.store.countActive(), 0);
    const exec = h.store.getExecution(result?.executionId ?? -1);
    assert.equal(exec?.action, 'add');
    assert.equal(exec?.status, 'ok');
    assert.match(exec?.note ?? '', /no check_keys line/);
    assert.ok(
      h.log.lines.some(
        (l) =>
          l.msg ===
          `Active response won't be added to timeout list. Message not received with alert keys from script '${FW}'`,
      ),
    );
  });

  test('limit passed before its turn, key not active -> no reply, nothing stored or armed, noted', async () => {
    const h = harness({ repeatedOffenders: [1] });
    h.runner.next.push({ firstLine: 'check-keys', stopped: true, timedOut: true });
    const result = await h.submit('firewall-drop600', IP);
    assert.deepEqual(result && { key: result.key, decision: result.decision }, {
      key: KEY,
      decision: 'none',
    });
    assert.equal(h.runner.of('add')[0]?.reply, undefined, 'no continue for a script being stopped');
    assert.equal(h.store.getActive(KEY), undefined);
    assert.equal(h.execd.armed, 0);
    assert.equal(h.store.getOffenderCount(KEY), 0, 'an add that did nothing is no offence');
    const exec = h.store.getExecution(result?.executionId ?? -1);
    assert.equal(exec?.status, 'timed-out');
    assert.equal(exec?.key, KEY);
    assert.equal(exec?.note, LATE_NOTE);
    assert.ok(
      h.log.lines.some((l) => l.level === 'warn' && /reached its time limit while waiting/.test(l.msg)),
    );
  });

  test('limit passed before its turn, key active -> abort: the repeat still moves the deadline', async () => {
    const h = harness();
    await h.submit('firewall-drop600', IP);
    h.clock.t = T0 + 100_000;
    h.runner.next.push({ firstLine: 'check-keys', stopped: true, timedOut: true });
    const result = await h.submit('firewall-drop600', IP);
    assert.equal(result?.decision, 'extended');
    assert.equal(commandOf(h.runner.of('add')[1]?.reply), 'abort');
    assert.equal(h.store.getActive(KEY)?.expiresAt, T0 + 100_000 + 600_000);
    assert.equal(h.execd.armed, 1);
    assert.match(h.store.getExecution(result?.executionId ?? -1)?.note ?? '', /already active/);
  });

  test('repeated offenders: escalation counted while still active (1,5 with 600 s)', async () => {
    const h = harness({ repeatedOffenders: [1, 5] });
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      h.clock.t = T0 + i * 1000;
      await h.submit('firewall-drop600', IP, `a.${i}`);
      const active = h.store.getActive(KEY);
      seen.push(active?.timeoutSec ?? -1);
      assert.equal(active?.expiresAt, h.clock.t + (active?.timeoutSec ?? 0) * 1000);
    }
    assert.deepEqual(seen, [600, 60, 300, 300]);
    assert.equal(h.store.getOffenderCount(KEY), 4);
    assert.ok(h.log.lines.some((l) => l.msg === "Repeated offender. Setting timeout to '60s'"));
    assert.equal(h.runner.of('add').filter((r) => commandOf(r.reply) === 'abort').length, 3);
  });

  test('repeated-offender count survives a revert (counters never expire)', async () => {
    const h = harness({ repeatedOffenders: [2] });
    await h.submit('firewall-drop600', IP);
    await h.execd.revert(KEY);
    await h.submit('firewall-drop600', IP);
    assert.equal(h.store.getActive(KEY)?.timeoutSec, 120);
    assert.equal(commandOf(h.runner.of('add')[1]?.reply), 'continue');
  });
});

describe('Execd execution records', () => {
  const cases = [
    { name: 'exit 0', behaviour: { exitCode: 0 }, status: 'ok' },
    { name: 'exit 1', behaviour: { exitCode: 1, stderrTail: 'nft: error' }, status: 'failed' },
    {
      name: 'killed by a signal',
      behaviour: { exitCode: null, signal: 'SIGSEGV' as const },
      status: 'failed',
    },
    { name: 'timed out', behaviour: { timedOut: true }, status: 'timed-out' },
    { name: 'spawn error', behaviour: { spawnError: 'spawn EACCES' }, status: 'spawn-error' },
  ] as const;
  for (const c of cases) {
    test(`${c.name} -> status ${c.status}`, async () => {
      const h = harness();
      h.runner.next.push({ firstLine: 'check-keys', ...c.behaviour });
      const result = await h.submit('firewall-drop600', IP);
      const exec = h.store.getExecution(result?.executionId ?? -1);
      assert.ok(exec);
      assert.equal(exec.status, c.status);
      assert.equal(exec.action, 'add');
      assert.equal(exec.arName, 'firewall-drop600');
      assert.equal(exec.program, FW);
      assert.equal(exec.agentId, '001');
      assert.equal(exec.alertId, '1763626502.1');
      assert.equal(exec.srcip, IP);
      assert.equal(exec.timedOut, c.status === 'timed-out');
      assert.equal(exec.endedAt, T0);
      assert.equal(exec.stderrTail, 'stderrTail' in c.behaviour ? c.behaviour.stderrTail : '');
    });
  }

  test('spawn error note carries the error', async () => {
    const h = harness();
    h.runner.next.push({ spawnError: 'spawn EACCES' });
    const result = await h.submit('firewall-drop600', IP);
    assert.match(h.store.getExecution(result?.executionId ?? -1)?.note ?? '', /spawn EACCES/);
  });

  test('each run gets its own record, in order', async () => {
    const h = harness();
    await h.submit('firewall-drop600', IP);
    await h.submit('firewall-drop600', IP);
    await h.execd.revert(KEY);
    const actions = h.store
      .listExecutions()
      .reverse()
      .map((e) => e.action);
    assert.deepEqual(actions, ['add', 'abort', 'delete']);
    assert.equal(h.executions.length, 3);
  });
});
