/**
 * Issue #13 finding 1: every per-key or per-program queue is released on every path. A fault is
 * injected at each step of an add (each store call it makes, serialising its message, running its
 * script; the test asserts the armed fault was met), on both paths (spawned scripts through KeyOrder and the pool; in-process stock scripts
 * through their batch queue); afterwards adds and reverts of the same program still run.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonObject } from '../../../src/protocol/json.js';
import { batchHarness, type BatchHarness, type StoreStep } from './execd-batch-fixture.js';
import { arMessage, FW } from './execd-fixture.js';

let h: BatchHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Fails instead of hanging when a queue was left blocked. */
async function within<T>(what: string, p: Promise<T>, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${what}: still waiting after ${ms} ms (a queue was not released)`));
    }, ms);
  });
  try {
    return await Promise.race([p, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** An AR message whose alert is nested `depth` deep: serialising it overflows the stack. */
function deepMessage(depth: number): JsonObject {
  let v: JsonObject = { end: true };
  for (let i = 0; i < depth; i++) {
    v = { a: v };
  }
  const m = arMessage('firewall-drop600', '192.0.2.200');
  const params = m['parameters'] as JsonObject;
  const alert = params['alert'] as JsonObject;
  return { ...m, parameters: { ...params, alert: { ...alert, deep: v } } };
}

type Fault = StoreStep | 'serialise' | 'script';
const FAULTS: readonly Fault[] = [
  'startExecution',
  'startExecutions',
  'transaction',
  'setExecutionKey',
  'countOffence',
  'getActive',
  'getActives',
  'putActive',
  'putActives',
  'endExecution',
  'endExecutions',
  'serialise',
  'script',
];

/** Arms `fault` and runs one add that meets it; resolves whatever the add's own fate. */
async function faultyAdd(hh: BatchHarness, fault: Fault): Promise<void> {
  if (fault === 'serialise') {
    await hh.execd.runJob({
      message: deepMessage(200_000),
      arName: 'firewall-drop600',
      program: FW,
      timeoutSec: 600,
    });
    return;
  }
  if (fault === 'script') {
    hh.fw.throwNext = new Error('injected fault in the script');
    hh.runner.next.push({ firstLine: 'check-keys', exitCode: 0 });
    const original = hh.runner.run;
    (hh.runner as { run: typeof original }).run = () => {
      (hh.runner as { run: typeof original }).run = original;
      return Promise.reject(new Error('injected fault in the runner'));
    };
  } else {
    hh.counting.faultAt = fault;
  }
  await hh.execd.submit(hh.message('firewall-drop600', '192.0.2.100'));
  const met = hh.counting.faultAt === undefined;
  hh.counting.faultAt = undefined;
  assert.ok(fault === 'script' || met, `the add never reached ${fault}: no fault was injected`);
}

for (const inProcess of [false, true]) {
  describe(`a fault at any step of an add does not block later work (${inProcess ? 'in-process batch' : 'spawned'} path)`, () => {
    // The in-process batch path writes the key with the start record (no setExecutionKey step),
    // reads a batch's stored responses at once (getActives), starts its executions together
    // (startExecutions), writes its active responses together (putActives) and its ends with
    // endExecutions (equal ends in one statement); a spawned add starts, reads, writes and ends alone.
    const skip = inProcess
      ? ['setExecutionKey', 'startExecution', 'getActive', 'putActive', 'endExecution']
      : ['getActives', 'putActives', 'endExecutions', 'startExecutions'];
    for (const fault of FAULTS.filter((f) => !skip.includes(f))) {
      test(`fault in ${fault}`, async () => {
        // A repeated-offender list, so that an add counts its offence (the countOffence step).
        h = batchHarness({ inProcess, repeatedOffenders: [10, 30] });
        const hh = h;
        await within('the faulty add', faultyAdd(hh, fault));
        const later = await within(
          'a later add',
          hh.execd.submit(hh.message('firewall-drop600', '192.0.2.101')),
        );
        assert.equal(later?.decision, 'started');
        const again = await within(
          'a repeat of the faulty key',
          hh.execd.submit(hh.message('firewall-drop600', '192.0.2.100')),
        );
        assert.ok(again !== undefined, 'the faulty key is not stuck either');
        const revert = await within('a revert', hh.execd.revert('firewall-drop-192.0.2.101'));
        assert.equal(revert?.reverted, true);
        await within('idle', hh.execd.idle());
        if (fault !== 'endExecution' && fault !== 'endExecutions' && fault !== 'transaction') {
          assert.deepEqual(
            hh.store.listExecutions({ limit: 100 }).filter((r) => r.status === 'running'),
            [],
            'every execution recorded with an end',
          );
        }
      });
    }
  });
}
