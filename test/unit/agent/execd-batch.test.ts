/**
 * Batch semantics of execd for in-process stock scripts (issue #12): a burst is decided in one
 * store transaction written before any `continue`, applied with one batch-form call (one OS
 * transaction), recorded in one more transaction, with the guarantees of one execution at a time.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { batchHarness, type BatchHarness } from './execd-batch-fixture.js';
import { FW, T0 } from './execd-fixture.js';

let h: BatchHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const ips = (n: number, prefix = '198.51.100'): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}.${i + 1}`);

describe('execd batches (in-process stock script)', () => {
  test('a burst is one decide transaction, one batch-form call, one outcome transaction', async () => {
    h = batchHarness();
    const hh = h;
    const addrs = ips(200);
    let activeWhenApplied = -1;
    hh.fw.onTransaction = () => {
      // Persisted before continue: every response is stored when the batch form runs.
      activeWhenApplied = hh.store.countActive();
    };
    const results = await Promise.all(addrs.map((ip) => hh.execd.submit(hh.message('firewall-drop600', ip))));
    assert.equal(hh.fw.transactions.length, 1);
    assert.equal(hh.counting.transactions, 2, 'group commit: decisions, then outcomes');
    assert.equal(activeWhenApplied, 200);
    assert.deepEqual(
      results.map((r) => r?.decision),
      addrs.map(() => 'started'),
    );
    assert.equal(hh.fw.blocked.size, 200);
    assert.equal(hh.execd.armed, 200);
    const records = hh.store.listExecutions({ limit: 500 });
    assert.equal(records.length, 200);
    assert.ok(
      records.every((r) => r.status === 'ok' && r.action === 'add' && r.key?.startsWith('firewall-drop-')),
    );
    assert.equal(hh.runner.runs.length, 0, 'nothing went through the spawn runner');
  });

  test('the intake gate holds while a whole next batch of local adds is queued; room as batches start', async () => {
    h = batchHarness();
    const hh = h;
    let rooms = 0;
    hh.execd.intakeGate.onRoom(() => {
      rooms++;
    });
    assert.equal(hh.execd.intakeGate.held(), false);
    const addrs = [...ips(250, '198.51.100'), ...ips(250, '198.51.101'), ...ips(100, '198.51.102')];
    const results = addrs.map((ip) => hh.execd.submit(hh.message('firewall-drop600', ip)));
    assert.equal(hh.execd.intakeGate.held(), true, '600 queued: more than a batch of local adds');
    const done = await Promise.all(results);
    assert.ok(done.every((r) => r?.decision === 'started'));
    assert.equal(hh.execd.intakeGate.held(), false);
    assert.equal(rooms, 2, 'one room call per batch taken (512 + 88)');
    assert.equal(hh.fw.transactions.length, 2);
  });

  test('a burst with a repeated key: one continue, the rest abort', async () => {
    h = batchHarness();
    const hh = h;
    const results = await Promise.all(
      Array.from({ length: 5 }, () => hh.execd.submit(hh.message('firewall-drop600', '203.0.113.7'))),
    );
    assert.deepEqual(
      results.map((r) => r?.decision),
      ['started', 'extended', 'extended', 'extended', 'extended'],
    );
    assert.deepEqual(hh.fw.transactions, [['add 203.0.113.7']], 'only the continue acts');
    const records = hh.store.listExecutions().reverse();
    assert.deepEqual(
      records.map((r) => r.action),
      ['add', 'abort', 'abort', 'abort', 'abort'],
    );
    assert.equal(hh.store.getActive('firewall-drop-203.0.113.7')?.repeatCount, 5);
    assert.equal(hh.store.countActive(), 1);
  });

  test('an add and a delete of one key inside one batch end deleted (and a delete then an add end added)', async () => {
    h = batchHarness();
    const hh = h;
    const key = 'firewall-drop-203.0.113.8';
    const [add, del] = await Promise.all([
      hh.execd.submit(hh.message('firewall-drop600', '203.0.113.8')),
      hh.execd.revert(key),
    ]);
    assert.equal(add?.decision, 'started');
    assert.equal(del?.reverted, true);
    assert.deepEqual(hh.fw.transactions, [['add 203.0.113.8', 'delete 203.0.113.8']]);
    assert.equal(hh.fw.blocked.has('203.0.113.8'), false);
    assert.equal(hh.store.getActive(key), undefined);
    assert.equal(hh.execd.armed, 0);

    const [del2, add2] = await Promise.all([
      hh.execd.revert(key),
      hh.execd.submit(hh.message('firewall-drop600', '203.0.113.8')),
    ]);
    assert.equal(del2?.reverted, false, 'nothing active yet: nothing to revert');
    assert.equal(add2?.decision, 'started');
    await Promise.all([hh.execd.revert(key), hh.execd.submit(hh.message('firewall-drop600', '203.0.113.8'))]);
    assert.deepEqual(hh.fw.transactions.at(-1), ['delete 203.0.113.8', 'add 203.0.113.8']);
    assert.equal(hh.fw.blocked.has('203.0.113.8'), true);
    assert.equal(hh.store.getActive(key)?.repeatCount, 1, 'a new response after the delete');
    assert.equal(hh.execd.armed, 1);
  });

  test('a failing element fails only its own execution (recorded), the others succeed', async () => {
    h = batchHarness();
    const hh = h;
    hh.fw.failing.add('198.51.100.3');
    const addrs = ips(5);
    const results = await Promise.all(addrs.map((ip) => hh.execd.submit(hh.message('firewall-drop600', ip))));
    assert.equal(hh.fw.transactions.length, 1);
    const byKey = new Map(hh.store.listExecutions().map((r) => [r.key, r]));
    for (const ip of addrs) {
      const r = byKey.get(`firewall-drop-${ip}`);
      assert.equal(r?.status, ip === '198.51.100.3' ? 'failed' : 'ok', ip);
    }
    const bad = byKey.get('firewall-drop-198.51.100.3');
    assert.equal(bad?.exitCode, 255);
    assert.match(bad?.stderrTail ?? '', /element 198\.51\.100\.3 refused/);
    assert.deepEqual(
      hh.store.listActive().map((a) => a.srcip),
      addrs.filter((ip) => ip !== '198.51.100.3'),
      'active means enforced: the failed one is not listed',
    );
    assert.equal(hh.execd.armed, 4);
    assert.equal(results.length, 5);
  });

  test('a batch form that throws fails its batch (recorded); the next batch runs', async () => {
    h = batchHarness();
    const hh = h;
    hh.fw.throwNext = new Error('nft vanished');
    const first = await Promise.all(ips(3).map((ip) => hh.execd.submit(hh.message('firewall-drop600', ip))));
    assert.ok(first.every((r) => r !== undefined));
    assert.ok(hh.store.listExecutions().every((r) => r.status === 'failed'));
    assert.equal(hh.store.countActive(), 0);
    const second = await hh.execd.submit(hh.message('firewall-drop600', '192.0.2.50'));
    assert.equal(second?.decision, 'started');
    assert.equal(hh.fw.blocked.has('192.0.2.50'), true);
  });

  test('due reverts of the same second are one batch; so are re-applies after a reboot', async () => {
    h = batchHarness();
    const hh = h;
    await Promise.all(ips(50).map((ip) => hh.execd.submit(hh.message('firewall-drop600', ip))));
    assert.equal(hh.fw.transactions.length, 1);
    hh.fw.blocked.clear(); // the reboot emptied the kernel set
    const summary = await hh.execd.restore(true);
    assert.deepEqual(summary, { armed: 50, reverted: 0, reapplied: 50, interrupted: 0 });
    assert.equal(hh.fw.transactions.length, 2);
    assert.equal(hh.fw.blocked.size, 50);
    assert.ok(
      hh.store.listExecutions({ limit: 50 }).every((r) => r.action === 'reapply' && r.status === 'ok'),
    );
    hh.clock.t = T0 + 600_000;
    const summary2 = await hh.execd.restore(false);
    assert.equal(summary2.reverted, 50);
    await hh.execd.idle();
    assert.equal(hh.fw.transactions.length, 3, 'fifty due reverts, one transaction');
    assert.equal(hh.fw.blocked.size, 0);
    assert.equal(hh.store.countActive(), 0);
  });

  test('re-apply after a reboot: one batch-form call by key, one record each; a failing element fails alone', async () => {
    h = batchHarness();
    const hh = h;
    const addrs = ips(20, '198.51.101');
    await Promise.all(addrs.map((ip) => hh.execd.submit(hh.message('firewall-drop600', ip))));
    const before = hh.fw.transactions.length;
    hh.fw.blocked.clear(); // the reboot emptied the kernel set
    hh.fw.failing.add(addrs[7] ?? '');
    const summary = await hh.execd.restore(true);
    assert.deepEqual(summary, { armed: 20, reverted: 0, reapplied: 20, interrupted: 0 });
    assert.equal(hh.fw.transactions.length, before + 1, 'one batch-form call');
    assert.deepEqual(hh.fw.transactions[before]?.length, 20);
    assert.equal(hh.fw.blocked.size, 19);
    const records = hh.store.listExecutions({ limit: 20 });
    assert.ok(records.every((r) => r.action === 'reapply' && r.note === 're-applied after reboot'));
    assert.deepEqual(
      records.filter((r) => r.status !== 'ok').map((r) => [r.key, r.status, r.stderrTail]),
      [[`firewall-drop-${addrs[7] ?? ''}`, 'failed', `Unable to run nft: element ${addrs[7] ?? ''} refused`]],
    );
    assert.equal(
      hh.store.countActive(),
      20,
      'a failed re-apply leaves its response listed, as one execution did',
    );
    assert.equal(hh.execd.armed, 20);
  });

  test('re-apply after a reboot through the re-apply form: one call with one key text, one record each, a failing key alone', async () => {
    h = batchHarness({ joined: true });
    const hh = h;
    const addrs = ips(40, '198.51.105');
    await Promise.all(addrs.map((ip) => hh.execd.submit(hh.message('firewall-drop600', ip))));
    // One response with extra args: not the form's (its backend argument is read by key).
    const withArgs = JSON.parse(hh.message('firewall-drop600', '198.51.106.1')) as {
      parameters: { extra_args: string[] };
    };
    withArgs.parameters.extra_args = ['--backend', 'nftables'];
    await hh.execd.submit(JSON.stringify(withArgs));
    const before = hh.fw.transactions.length;
    hh.fw.blocked.clear(); // the reboot emptied the kernel set
    hh.fw.failing.add(addrs[3] ?? '');
    const seen: { armed: number; recorded: number }[] = [];
    const summary = await hh.execd.restore(true, () => {
      seen.push({
        armed: hh.execd.armed,
        recorded: hh.store.listExecutions({ limit: 100 }).filter((r) => r.action === 'reapply').length,
      });
    });
    assert.deepEqual(summary, { armed: 41, reverted: 0, reapplied: 41, interrupted: 0 });
    assert.equal(hh.fw.joinedCalls.length, 1, 'one call of the re-apply form');
    assert.deepEqual(hh.fw.joinedCalls[0]?.split(',').sort(), [...addrs].sort());
    assert.deepEqual(hh.fw.transactions.slice(before + 1), [['add 198.51.106.1']], 'the other one, by key');
    assert.deepEqual(seen, [{ armed: 41, recorded: 0 }], 'deferred work once, while the form acts');
    assert.equal(hh.fw.blocked.size, 40);
    const records = hh.store.listExecutions({ limit: 100 }).filter((r) => r.action === 'reapply');
    assert.equal(records.length, 41);
    assert.ok(records.every((r) => r.note === 're-applied after reboot'));
    assert.deepEqual(
      records.filter((r) => r.status !== 'ok').map((r) => [r.key, r.status, r.stderrTail]),
      [[`firewall-drop-${addrs[3] ?? ''}`, 'failed', `Unable to run nft: element ${addrs[3] ?? ''} refused`]],
    );
    assert.equal(hh.execd.armed, 41);
    // Recorded, and (the boot id stored by the caller) a restart of the same boot re-applies nothing.
    const again = await hh.execd.restore(false);
    assert.equal(again.reapplied, 0);
    assert.equal(hh.fw.joinedCalls.length, 1);
  });

  test("re-apply after a reboot: deadlines armed and the caller's deferred work run once, while it acts", async () => {
    h = batchHarness();
    const hh = h;
    await Promise.all(ips(30, '198.51.103').map((ip) => hh.execd.submit(hh.message('firewall-drop600', ip))));
    hh.fw.blocked.clear(); // the reboot emptied the kernel set
    const seen: { armed: number; transactions: number; recorded: number }[] = [];
    const before = hh.fw.transactions.length;
    const summary = await hh.execd.restore(true, () => {
      seen.push({
        armed: hh.execd.armed,
        transactions: hh.fw.transactions.length,
        recorded: hh.store.listExecutions({ limit: 100 }).filter((r) => r.action === 'reapply').length,
      });
    });
    assert.deepEqual(summary, { armed: 30, reverted: 0, reapplied: 30, interrupted: 0 });
    assert.deepEqual(
      seen,
      [{ armed: 30, transactions: before + 1, recorded: 0 }],
      'once, the batch form called, its outcome not yet recorded',
    );
    assert.equal(hh.fw.blocked.size, 30);
    assert.equal(hh.execd.armed, 30);
    // Same boot, nothing to re-apply: the deferred work is the caller's to run (never called here).
    let calls = 0;
    await hh.execd.restore(false, () => {
      calls++;
    });
    assert.equal(calls, 0);
    assert.equal(hh.execd.armed, 30);
  });

  test('a deadline that passes during the re-apply after a reboot is reverted right after it', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    h = batchHarness();
    const hh = h;
    await hh.execd.submit(hh.message('firewall-drop600', '198.51.104.1'));
    hh.fw.blocked.clear();
    hh.fw.onTransaction = () => {
      hh.clock.t = T0 + 600_000; // the deadline passes while the re-apply's transaction runs
    };
    await hh.execd.restore(true);
    hh.fw.onTransaction = undefined;
    assert.equal(hh.fw.blocked.has('198.51.104.1'), true, 're-applied first');
    t.mock.timers.tick(60_000); // the timer (aimed at most 60 s ahead) finds it past due
    await hh.execd.idle();
    assert.equal(hh.store.countActive(), 0);
    assert.equal(hh.fw.blocked.has('198.51.104.1'), false);
    assert.equal(hh.store.listExecutions({ limit: 1 })[0]?.note, 'revert (timeout)');
  });

  test('an interrupted add is re-applied at restart (same boot): started before the batch, ended after', async () => {
    h = batchHarness();
    const hh = h;
    await hh.execd.submit(hh.message('firewall-drop600', '198.51.102.1'));
    // What a kill -9 in the middle of an add leaves: its execution still running, its key known.
    const id = hh.store.startExecution({
      key: 'firewall-drop-198.51.102.1',
      arName: 'firewall-drop600',
      program: FW,
      action: 'add',
      agentId: '000',
      alertId: undefined,
      ruleId: undefined,
      srcip: '198.51.102.1',
      user: undefined,
      startedAt: T0,
    });
    hh.fw.blocked.clear();
    let runningDuringBatch = -1;
    hh.fw.onTransaction = () => {
      runningDuringBatch = hh.store.listExecutions({ limit: 5 }).filter((r) => r.status === 'running').length;
    };
    const summary = await hh.execd.restore(false);
    assert.deepEqual(summary, { armed: 1, reverted: 0, reapplied: 1, interrupted: 1 });
    assert.equal(runningDuringBatch, 1, 'the re-apply was recorded as running before the batch acted');
    assert.equal(hh.store.getExecution(id)?.status, 'failed');
    const [latest] = hh.store.listExecutions({ limit: 1 });
    assert.equal(latest?.action, 'reapply');
    assert.equal(latest?.status, 'ok');
    assert.equal(hh.fw.blocked.has('198.51.102.1'), true);
  });

  test('a program without an in-process script still goes through the runner', async () => {
    h = batchHarness();
    const hh = h;
    assert.notEqual(FW, 'active-response/bin/other');
    const r = await hh.execd.runJob({
      message: JSON.parse(hh.message('firewall-drop600', '192.0.2.60')) as never,
      arName: 'other600',
      program: 'active-response/bin/other',
      timeoutSec: 600,
    });
    assert.equal(r?.decision, 'started');
    assert.equal(hh.runner.runs.length, 1);
    assert.equal(hh.fw.transactions.length, 0);
  });
});
