/**
 * Execd's batches for an in-process stock script that has no batch form of its own (notify,
 * quarantine, disable-account, ip-customblock, firewalld-drop, restart-riposte: every stock script
 * but firewall-drop, host-deny and route-null): the batch's executions go through the script's
 * add/delete (stock-batch.ts concurrentBatch), those of different keys at once, those of one key
 * one after the other in the batch's order, and a failing one fails alone.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { srcipInput } from '../../../src/scripts/contract/input.js';
import {
  ScriptFailure,
  type StockContext,
  type StockScript,
} from '../../../src/scripts/contract/stock-script.js';
import { batchHarness, type BatchHarness } from './execd-batch-fixture.js';

let h: BatchHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A stateful srcip script with add/delete only; `events` gets "start add <key>" / "end add <key>". */
function oneByOneScript(events: string[], failing: ReadonlySet<string>): StockScript {
  const act = (mode: 'add' | 'delete') => async (ctx: StockContext) => {
    const key = ctx.key ?? '';
    events.push(`start ${mode} ${key}`);
    // Two turns of the event loop: another execution started at once gets to start meanwhile.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    events.push(`end ${mode} ${key}`);
    if (mode === 'add' && failing.has(key)) {
      throw new ScriptFailure(`Unable to act on ${key}`);
    }
  };
  return {
    name: 'firewall-drop',
    stateful: true,
    input: (m) => srcipInput(m),
    add: act('add'),
    delete: act('delete'),
  };
}

describe('execd batches of a stock script without a batch form', () => {
  test('different keys run at once, one key in order, a failure fails its execution alone', async () => {
    const events: string[] = [];
    h = batchHarness({ script: oneByOneScript(events, new Set(['192.0.2.3'])) });
    const hh = h;
    const add = (ip: string): ReturnType<typeof hh.execd.submit> =>
      hh.execd.submit(hh.message('firewall-drop600', ip));
    // One turn: one batch. 192.0.2.1 is added then reverted within it.
    const [a1, a2, a3, del] = await Promise.all([
      add('192.0.2.1'),
      add('192.0.2.2'),
      add('192.0.2.3'),
      hh.execd.revert('firewall-drop-192.0.2.1'),
    ]);
    assert.equal(hh.runner.runs.length, 0, 'nothing went through the spawn runner');
    assert.deepEqual(
      [a1?.decision, a2?.decision, a3?.decision, del?.reverted],
      ['started', 'started', 'started', true],
    );
    const firstEnd = events.findIndex((e) => e.startsWith('end '));
    assert.deepEqual(
      events.slice(0, firstEnd).sort(),
      ['start add 192.0.2.1', 'start add 192.0.2.2', 'start add 192.0.2.3'],
      'the adds of different keys all started before any ended',
    );
    assert.ok(
      events.indexOf('end add 192.0.2.1') < events.indexOf('start delete 192.0.2.1'),
      `the delete of a key starts after its add ended: ${events.join(', ')}`,
    );
    assert.equal(events.length, 8);
    const byKeyAction = new Map(hh.store.listExecutions().map((r) => [`${r.action} ${r.key ?? ''}`, r]));
    assert.equal(byKeyAction.get('add firewall-drop-192.0.2.1')?.status, 'ok');
    assert.equal(byKeyAction.get('delete firewall-drop-192.0.2.1')?.status, 'ok');
    assert.equal(byKeyAction.get('add firewall-drop-192.0.2.2')?.status, 'ok');
    const failed = byKeyAction.get('add firewall-drop-192.0.2.3');
    assert.equal(failed?.status, 'failed');
    assert.match(failed?.stderrTail ?? '', /Unable to act on 192\.0\.2\.3/);
    assert.deepEqual(
      hh.store.listActive().map((a) => a.key),
      ['firewall-drop-192.0.2.2'],
      'reverted and failed responses are not active',
    );
    assert.equal(hh.execd.armed, 1);
  });
});
