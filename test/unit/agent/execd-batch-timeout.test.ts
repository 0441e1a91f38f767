/**
 * An in-process batch whose OS work hangs (an nft that never returns, say): past the execution
 * limit execd aborts it (the batch form's signal: its tools are killed), records every execution
 * of the batch timed out (their responses kept: the revert cleans up what the hung work may have
 * applied), answers their callers, and starts the program's next batch only once the
 * hung work has settled, so two OS transactions of one program never overlap.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SCRIPT_LIMITS } from '../../../src/agent/executor/spawn-script.js';
import { srcipInput } from '../../../src/scripts/contract/input.js';
import type { StockScript } from '../../../src/scripts/contract/stock-script.js';
import { batchHarness, type BatchHarness } from './execd-batch-fixture.js';

let h: BatchHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/**
 * A firewall-drop whose first batch-form call hangs until aborted (then rejects, as a killed tool
 * does, one turn later); later calls succeed. `events` records each call's start and end.
 */
function hangingOnce(events: string[]): StockScript {
  let calls = 0;
  return {
    name: 'firewall-drop',
    stateful: true,
    input: (m) => srcipInput(m),
    add: () => Promise.resolve(),
    delete: () => Promise.resolve(),
    batch: (items, signal) => {
      const n = ++calls;
      events.push(`start ${n}: ${items.map((i) => i.ctx.key ?? '').join(' ')}`);
      if (n > 1) {
        events.push(`end ${n}`);
        return Promise.resolve(items.map(() => undefined));
      }
      return new Promise((_resolve, reject) => {
        signal?.addEventListener('abort', () => {
          setImmediate(() => {
            events.push(`end ${n} (aborted)`);
            reject(new Error('killed'));
          });
        });
      });
    },
  };
}

describe('execd: an in-process batch past the execution limit', () => {
  test('is aborted, every execution recorded timed out, and the next batch waits for the hung work', async () => {
    const events: string[] = [];
    h = batchHarness({ script: hangingOnce(events), limits: { ...DEFAULT_SCRIPT_LIMITS, execMs: 200 } });
    const hh = h;
    const add = (ip: string): ReturnType<typeof hh.execd.submit> =>
      hh.execd.submit(hh.message('firewall-drop600', ip));
    const first = Promise.all([add('192.0.2.1'), add('192.0.2.2')]);
    // Queued while the first batch hangs: the program's next batch.
    await new Promise((r) => setImmediate(r));
    const second = add('192.0.2.3');
    const [r1, r2] = await first;
    const r3 = await second;
    assert.deepEqual(events, [
      'start 1: 192.0.2.1 192.0.2.2',
      'end 1 (aborted)',
      'start 2: 192.0.2.3',
      'end 2',
    ]);
    for (const r of [r1, r2]) {
      const exec = hh.store.getExecution(r?.executionId ?? -1);
      assert.equal(exec?.status, 'timed-out', JSON.stringify(exec));
      assert.equal(exec?.timedOut, true);
    }
    assert.equal(hh.store.getExecution(r3?.executionId ?? -1)?.status, 'ok');
    // A timed-out add may have been applied (the hung tool may have committed): it stays active
    // and armed, so its revert cleans up (run-batch.ts addEnd), unlike an add that failed.
    assert.deepEqual(
      hh.store
        .listActive()
        .map((a) => a.key)
        .sort(),
      ['firewall-drop-192.0.2.1', 'firewall-drop-192.0.2.2', 'firewall-drop-192.0.2.3'],
    );
    assert.equal(hh.execd.armed, 3);
  });
});
