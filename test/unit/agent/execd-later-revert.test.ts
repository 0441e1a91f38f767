/**
 * An add order that reaches the agent after a revert order of the same key created after it (several
 * manager nodes: the add waited on the bus while the link's node sent the operator's revert at once)
 * is not applied: decided `superseded`, answered `abort`, recorded with the reason (later-reverts.ts).
 * Spawned scripts (the fake runner) and in-process batches (the fake firewall), a temp SQLite store.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { AR_LOG_RELATIVE_PATH } from '../../../src/scripts/contract/ar-log.js';
import type { AddResult } from '../../../src/agent/execd/run-add.js';
import type { RevertResult } from '../../../src/agent/execd/run-delete.js';
import { ORDERS_AFTER_EXECUTION_SETTING } from '../../../src/core/execd/agent-store.js';
import { batchHarness, type BatchHarness } from './execd-batch-fixture.js';
import { arMessage, commandOf, harness, T0, type Harness } from './execd-fixture.js';

const IP = '203.0.113.45';
const KEY = `firewall-drop-${IP}`;

/** The add message of `arName` for IP, as an order brings it. */
const addOf = (arName = 'firewall-drop600'): string => JSON.stringify(arMessage(arName, IP));

/** The newest execution record. */
function newest(h: { store: Harness['store'] }): NonNullable<ReturnType<Harness['store']['getExecution']>> {
  const [e] = h.store.listExecutions({ limit: 1 });
  assert.ok(e);
  return e;
}

describe('execd: an add order superseded by a later revert order (spawned script)', () => {
  test('add 5 applied, revert 7 run, add 6 comes late: abort, nothing active, no timer, no offence', async () => {
    const h = harness({ repeatedOffenders: [5] });
    assert.equal((await h.execd.submit(addOf(), 5))?.decision, 'started');
    assert.equal(h.store.getOffenderCount(KEY), 1);
    assert.equal((await h.execd.revert(KEY, 'manual', 7))?.reverted, true);
    const late = await h.execd.submit(addOf(), 6);
    assert.equal(late?.decision, 'superseded');
    assert.equal(late.key, KEY);
    const [, run] = h.runner.of('add');
    assert.equal(commandOf(run?.reply), 'abort', 'the script is told to abort: nothing applied');
    assert.equal(h.store.getActive(KEY), undefined);
    assert.equal(h.execd.armed, 0);
    assert.equal(h.store.getOffenderCount(KEY), 1, 'no offence counted for it');
    const e = newest(h);
    assert.equal(e.id, late.executionId);
    assert.equal(e.action, 'abort');
    assert.equal(e.status, 'ok');
    assert.equal(e.note, `superseded: revert order 7 of this key, created after this order (6), ran first`);
    assert.ok(
      h.log.lines.some((l) => l.msg.startsWith("Active response 'firewall-drop600' not applied: superseded")),
    );
    // A newer alert's order (8) blocks again.
    assert.equal((await h.execd.submit(addOf(), 8))?.decision, 'started');
    assert.ok(h.store.getActive(KEY));
  });

  test('the revert order is kept with its delete record: a new process on the same store still aborts the late add', async () => {
    const first = harness();
    await first.execd.submit(addOf(), 5);
    const reverted = await first.execd.revert(KEY, 'manual', 7);
    const id = reverted?.executionId ?? -1;
    assert.deepEqual(
      first.store.orderSeqsOf([id]),
      new Map([[id, 7]]),
      'the delete record carries its order',
    );
    const next = harness({ store: first.store });
    assert.equal((await next.execd.submit(addOf(), 6))?.decision, 'superseded');
    assert.equal(next.store.getActive(KEY), undefined);
  });

  test('the key active again from a newer order: the late add neither extends nor counts', async () => {
    const h = harness({ repeatedOffenders: [5] });
    await h.execd.submit(addOf(), 5);
    await h.execd.revert(KEY, 'manual', 7);
    h.clock.t = T0 + 10_000;
    await h.execd.submit(addOf(), 8);
    const before = h.store.getActive(KEY);
    assert.ok(before);
    h.clock.t = T0 + 20_000;
    assert.equal((await h.execd.submit(addOf(), 6))?.decision, 'superseded');
    assert.deepEqual(h.store.getActive(KEY), before, 'the response of order 8 as it was');
    assert.equal(h.store.getOffenderCount(KEY), 2, 'orders 5 and 8 only');
  });

  test('a stateless add and a dry run are superseded too; adds that are not orders never are', async () => {
    const h = harness();
    await h.execd.submit(addOf(), 5);
    await h.execd.revert(KEY, 'manual', 7);
    assert.equal((await h.execd.submit(addOf('firewall-drop0'), 6))?.decision, 'superseded');
    const message = arMessage('firewall-drop600', IP);
    const dry = { ...message, origin: { name: 'node01', module: 'wazuh-analysisd', dry_run: true } };
    assert.equal((await h.execd.submit(JSON.stringify(dry), 6))?.decision, 'superseded');
    assert.ok(
      h.log.lines.some((l) => l.msg.includes('would be left out (revert order 7 of this key came after it)')),
    );
    // The execq socket, the CLI, the manager's own all-in-one runs: no order seq, run as always.
    assert.equal((await h.execd.submit(addOf()))?.decision, 'started');
  });

  test('a revert without an order (timeout, CLI) or of another key supersedes nothing', async () => {
    const h = harness();
    await h.execd.submit(addOf(), 5);
    await h.execd.revert(KEY);
    assert.equal((await h.execd.submit(addOf(), 6))?.decision, 'started');
    await h.execd.revert('firewall-drop-198.51.100.9', 'manual', 9);
    await h.execd.revert(KEY, 'manual', 10);
    assert.equal((await h.execd.submit(addOf(), 9))?.decision, 'superseded', 'revert 10 of the same key');
    const other = JSON.stringify(arMessage('firewall-drop600', '198.51.100.7'));
    assert.equal(
      (await h.execd.submit(other, 8))?.decision,
      'started',
      'reverts 9 and 10 were of other keys',
    );
  });

  test('a revert order that found nothing active still supersedes the adds created before it, after a restart too', async () => {
    const h = harness();
    const nothing = await h.execd.revert(KEY, 'manual', 7);
    assert.deepEqual(
      nothing,
      { executionId: undefined, reverted: false },
      'no execution: the manager is told rejected',
    );
    assert.equal(h.store.listExecutions({ limit: 10 }).length, 0);
    assert.equal(h.store.revertOrderAfter(KEY, 6), 7, 'kept as a mark');
    const next = harness({ store: h.store });
    const late = await next.execd.submit(addOf(), 6);
    assert.equal(late?.decision, 'superseded');
    assert.equal(commandOf(next.runner.of('add')[0]?.reply), 'abort');
    assert.equal(
      newest(next).note,
      'superseded: revert order 7 of this key, created after this order (6), ran first',
    );
    assert.equal(next.store.getActive(KEY), undefined);
    assert.equal((await next.execd.submit(addOf(), 8))?.decision, 'started', 'a newer order blocks again');
    assert.equal((await next.execd.revert(KEY, 'manual', 9))?.reverted, true);
  });

  test('a revert order that finds the response gone once its turn comes (a local revert ran first) is marked', async () => {
    const h = harness();
    await h.execd.submit(addOf(), 5);
    const [local, ordered] = await Promise.all([h.execd.revert(KEY), h.execd.revert(KEY, 'manual', 7)]);
    assert.equal(local?.reverted, true, 'the CLI revert, no order');
    assert.equal(ordered?.reverted, false, 'nothing left for the order');
    assert.equal(h.runner.of('delete').length, 1);
    assert.equal((await h.execd.submit(addOf(), 6))?.decision, 'superseded');
    assert.equal(h.store.getActive(KEY), undefined);
  });

  test('an add order still deciding when the revert order comes: the revert finds nothing, the add aborts', async () => {
    const h = harness();
    let release: () => void = () => undefined;
    h.runner.next.push({ firstLine: 'check-keys', hold: new Promise<void>((r) => (release = r)) });
    const add = h.execd.submit(addOf(), 6);
    assert.equal((await h.execd.revert(KEY, 'manual', 7))?.reverted, false, 'nothing active yet');
    release();
    assert.equal((await add)?.decision, 'superseded', 'the operator reverted after this alert: not blocked');
    assert.equal(h.store.getActive(KEY), undefined);
    assert.equal(h.execd.armed, 0);
  });

  test("a re-enrolled home: the earlier enrollment's revert orders count for nothing", async () => {
    const h = harness();
    await h.execd.submit(addOf(), 5);
    const r = await h.execd.revert(KEY, 'manual', 7);
    h.store.setSetting(ORDERS_AFTER_EXECUTION_SETTING, String(r?.executionId ?? 0));
    // The new agent id's seqs start again at 1.
    assert.equal((await h.execd.submit(addOf(), 1))?.decision, 'started');
  });
});

describe('execd: an add order superseded by a later revert order (in-process batches)', () => {
  let b: BatchHarness | undefined;
  afterEach(async () => {
    await b?.close();
    b = undefined;
  });

  test('revert 7 then the late add 6 in one batch: the add aborts, the address stays unblocked', async () => {
    b = batchHarness();
    const bh = b;
    await bh.execd.submit(bh.message('firewall-drop600', IP), 5);
    assert.ok(bh.fw.blocked.has(IP));
    const [reverted, late, newer] = await Promise.all([
      bh.execd.revert(KEY, 'manual', 7),
      bh.execd.submit(bh.message('firewall-drop600', IP), 6),
      bh.execd.submit(bh.message('firewall-drop600', '198.51.100.3'), 8),
    ]);
    assert.equal(bh.fw.transactions.length, 2, 'the add of 5, then one batch for the rest');
    assert.equal(reverted?.reverted, true);
    assert.equal(late?.decision, 'superseded');
    assert.equal(newer?.decision, 'started');
    assert.deepEqual([...bh.fw.blocked], ['198.51.100.3']);
    assert.equal(bh.store.getActive(KEY), undefined);
    const e = bh.store.getExecution(late.executionId);
    assert.equal(e?.action, 'abort');
    assert.match(e?.note ?? '', /^superseded: revert order 7 of this key/);
  });

  test('revert 7 in one batch, the late add 6 in a later one: read from the store', async () => {
    b = batchHarness();
    const bh = b;
    await bh.execd.submit(bh.message('firewall-drop600', IP), 5);
    await bh.execd.revert(KEY, 'manual', 7);
    const late = await bh.execd.submit(bh.message('firewall-drop600', IP), 6);
    assert.equal(late?.decision, 'superseded');
    assert.equal(bh.fw.blocked.has(IP), false);
    assert.equal(bh.store.getActive(KEY), undefined);
  });

  /**
   * `work` started while the harness's first batch (an add of another address) is in its firewall
   * call: the queue is busy, so a revert of a key with nothing active joins the next batch as a
   * delete of the key's program instead of being settled at once.
   */
  async function inNextBatch<T>(bh: BatchHarness, work: () => Promise<T>): Promise<T> {
    let next: Promise<T> | undefined;
    bh.fw.onTransaction = () => {
      bh.fw.onTransaction = undefined;
      next = work();
    };
    assert.equal(
      (await bh.execd.submit(bh.message('firewall-drop600', '198.51.100.3'), 4))?.decision,
      'started',
    );
    assert.ok(next, 'the first batch reached the firewall');
    return next;
  }

  /** An add of IP (arName, order seq), revert order `revertSeq` of KEY, and another add, in one batch. */
  function addRevertAdd(
    bh: BatchHarness,
    first: readonly [string, number],
    revertSeq: number,
    last: readonly [string, number],
  ): Promise<[AddResult | undefined, RevertResult | undefined, AddResult | undefined]> {
    return inNextBatch(bh, () =>
      Promise.all([
        bh.execd.submit(bh.message(first[0], IP), first[1]),
        bh.execd.revert(KEY, 'manual', revertSeq),
        bh.execd.submit(bh.message(last[0], IP), last[1]),
      ]),
    );
  }

  test('a revert order planned with nothing active: marked, the late add after it in that batch and later ones aborts', async () => {
    b = batchHarness();
    const bh = b;
    const [nothing, late] = await inNextBatch(bh, () =>
      Promise.all([
        bh.execd.revert(KEY, 'manual', 7),
        bh.execd.submit(bh.message('firewall-drop600', IP), 6),
      ]),
    );
    assert.equal(nothing?.reverted, false);
    assert.equal(late?.decision, 'superseded');
    assert.equal((await bh.execd.submit(bh.message('firewall-drop600', IP), 5))?.decision, 'superseded');
    assert.deepEqual([...bh.fw.blocked], ['198.51.100.3']);
    assert.equal(bh.store.getActive(KEY), undefined);
  });

  test('a revert order planned after an in-batch add that left nothing active: marked at its decision', async () => {
    b = batchHarness();
    const bh = b;
    assert.equal((await bh.execd.revert(KEY, 'manual', 9))?.reverted, false, 'mark 9');
    // Add 8 (superseded by 9) leaves nothing active; revert order 10, planned after it, finds
    // nothing at its decision and is marked there; add 9 after it is superseded by 10 alone.
    const [first, nothing, late] = await addRevertAdd(bh, ['firewall-drop600', 8], 10, [
      'firewall-drop600',
      9,
    ]);
    assert.equal(first?.decision, 'superseded');
    assert.equal(nothing?.reverted, false);
    assert.equal(late?.decision, 'superseded');
    assert.equal(bh.store.revertOrderAfter(KEY, 9), 10);
    assert.equal(bh.store.getActive(KEY), undefined);
    assert.equal(bh.fw.blocked.has(IP), false);
    // Run one by one, revert 10 would start no script: the batch form gets no delete of IP and
    // active-responses.log has no line of it (only the superseded adds' lines name IP).
    assert.deepEqual(
      bh.fw.transactions.flat().filter((t) => t.endsWith(IP)),
      [],
      'no firewall work for IP',
    );
    const arLog = fs.readFileSync(path.join(bh.home, AR_LOG_RELATIVE_PATH), 'utf8').split('\n');
    const ofIp = arLog.filter((l) => l.includes(IP));
    assert.equal(ofIp.filter((l) => l.includes('"command":"delete"')).length, 0, 'no delete line');
    assert.equal(ofIp.filter((l) => l.includes('"command":"add"')).length, 2, 'the two adds logged');
    assert.equal(ofIp.filter((l) => l.includes('"command":"abort"')).length, 2, 'both answered abort');
  });

  test('an untracked add (timeout 0) before a revert order that finds nothing, in one batch: it runs, as one by one', async () => {
    b = batchHarness();
    const bh = b;
    // One by one: add 6 (timeout 0: not tracked) blocks IP and stays; revert 7 then finds nothing
    // active, is marked and rejected. In one batch the mark is written at the revert's place, after
    // add 6 decided, so add 6 is not superseded by it.
    const [untracked, nothing, lateInBatch] = await addRevertAdd(bh, ['firewall-drop0', 6], 7, [
      'firewall-drop600',
      4,
    ]);
    assert.equal(untracked?.decision, 'untracked');
    assert.equal(nothing?.reverted, false);
    assert.equal(lateInBatch?.decision, 'superseded', 'add 4, decided after revert 7 in the batch');
    assert.equal(bh.fw.blocked.has(IP), true, 'add 6 applied');
    assert.equal(bh.store.getActive(KEY), undefined, 'nothing tracked');
    assert.equal(bh.store.revertOrderAfter(KEY, 6), 7, 'revert 7 marked');
    assert.equal((await bh.execd.submit(bh.message('firewall-drop600', IP), 5))?.decision, 'superseded');
    const arLog = fs.readFileSync(path.join(bh.home, AR_LOG_RELATIVE_PATH), 'utf8');
    assert.equal(
      arLog.split('\n').filter((l) => l.includes('"command":"delete"')).length,
      0,
      'no delete ran',
    );
  });

  test('the late add before the revert in one batch: it runs, then the revert undoes it', async () => {
    b = batchHarness();
    const bh = b;
    await bh.execd.submit(bh.message('firewall-drop600', IP), 5);
    const [late, reverted] = await Promise.all([
      bh.execd.submit(bh.message('firewall-drop600', IP), 6),
      bh.execd.revert(KEY, 'manual', 7),
    ]);
    assert.equal(late?.decision, 'extended', 'taken in before the revert: not superseded');
    assert.equal(reverted?.reverted, true);
    assert.equal(bh.fw.blocked.has(IP), false);
    assert.equal(bh.store.getActive(KEY), undefined);
  });

  for (const inProcess of [false, true]) {
    test(`a revert order whose mark cannot be written: logged, no mark, nothing else lost; sent again it marks (${inProcess ? 'in-process batch' : 'spawned'})`, async () => {
      b = batchHarness({ inProcess });
      const bh = b;
      bh.counting.faultAt = 'markRevertOrder';
      const failed = inProcess
        ? await inNextBatch(bh, () => bh.execd.revert(KEY, 'manual', 7))
        : await bh.execd.revert(KEY, 'manual', 7);
      assert.equal(bh.counting.faultAt, undefined, 'the mark was tried and failed');
      assert.equal(failed?.reverted ?? false, false);
      await bh.execd.idle();
      assert.ok(
        bh.log.lines.some((l) => l.level === 'error' && l.msg.includes('injected fault in markRevertOrder')),
        'the failure is logged with its cause',
      );
      assert.equal(bh.store.revertOrderAfter(KEY, 6), undefined, 'no mark');
      // The rest goes on: another address is blocked; the revert order sent again is marked.
      const other = await bh.execd.submit(bh.message('firewall-drop600', '198.51.100.5'), 8);
      assert.equal(other?.decision, 'started');
      assert.equal((await bh.execd.revert(KEY, 'manual', 7))?.reverted, false);
      assert.equal((await bh.execd.submit(bh.message('firewall-drop600', IP), 6))?.decision, 'superseded');
      assert.equal(bh.store.getActive(KEY), undefined, 'the late add applied nothing');
    });

    test(`a late add whose look-up fails is not applied, logged, and nothing else is lost (${inProcess ? 'in-process batch' : 'spawned'})`, async () => {
      b = batchHarness({ inProcess });
      const bh = b;
      await bh.execd.submit(bh.message('firewall-drop600', IP), 5);
      await bh.execd.revert(KEY, 'manual', 7);
      bh.counting.faultAt = 'revertOrderAfter';
      const late = await bh.execd.submit(bh.message('firewall-drop600', IP), 6);
      assert.equal(bh.counting.faultAt, undefined, 'the look-up was made and failed');
      await bh.execd.idle(); // a batch's failure is logged once its queue has moved on
      assert.notEqual(late?.decision, 'started');
      assert.equal(bh.store.getActive(KEY), undefined, 'nothing applied on a failed look-up');
      assert.equal(bh.fw.blocked.has(IP), false);
      assert.ok(
        bh.log.lines.some((l) => l.level === 'error' && l.msg.includes('injected fault in revertOrderAfter')),
        'the failure is logged with its cause',
      );
      assert.deepEqual(
        bh.store.listExecutions({ limit: 100 }).filter((r) => r.status === 'running'),
        [],
        'every execution recorded with an end',
      );
      // The same late order again (a redelivery) is now answered; a newer one still blocks.
      assert.equal((await bh.execd.submit(bh.message('firewall-drop600', IP), 6))?.decision, 'superseded');
      assert.equal((await bh.execd.submit(bh.message('firewall-drop600', IP), 8))?.decision, 'started');
      assert.ok(bh.store.getActive(KEY));
    });
  }
});
