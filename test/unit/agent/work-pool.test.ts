/**
 * WorkPool: at most `size` tasks run at once, and waiting tasks start in submission order.
 * Tasks are deferred promises completed by the test, so no timing is involved.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkPool } from '../../../src/agent/work-pool.js';

function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface Gate {
  readonly promise: Promise<void>;
  open(): void;
}

function gate(): Gate {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** Submits `n` tasks; each logs its start, then waits for its gate. */
function submit(pool: WorkPool, n: number, started: number[]): { gates: Gate[]; done: Promise<number[]> } {
  const gates = Array.from({ length: n }, gate);
  const runs = gates.map((g, i) =>
    pool.run(async () => {
      started.push(i);
      await g.promise;
      return i;
    }),
  );
  return { gates, done: Promise.all(runs) };
}

describe('WorkPool', () => {
  test('never runs more than its size', async () => {
    const pool = new WorkPool(2);
    const started: number[] = [];
    let running = 0;
    let peak = 0;
    const tasks = Array.from({ length: 10 }, (_, i) =>
      pool.run(async () => {
        running++;
        peak = Math.max(peak, running);
        await settle();
        running--;
        return i;
      }),
    );
    started.push(...(await Promise.all(tasks)));
    assert.equal(peak, 2);
    assert.deepEqual(
      started,
      Array.from({ length: 10 }, (_, i) => i),
    );
    assert.equal(pool.active, 0);
  });

  test('starts waiting tasks FIFO, whichever running task finishes first', async () => {
    const pool = new WorkPool(2);
    const started: number[] = [];
    const { gates, done } = submit(pool, 5, started);
    await settle();
    assert.deepEqual(started, [0, 1]);
    assert.equal(pool.active, 2);
    assert.equal(pool.queued, 3);
    gates[1]!.open();
    await settle();
    assert.deepEqual(started, [0, 1, 2]);
    gates[0]!.open();
    await settle();
    assert.deepEqual(started, [0, 1, 2, 3]);
    for (const g of gates) {
      g.open();
    }
    assert.deepEqual(await done, [0, 1, 2, 3, 4]);
    assert.equal(pool.active, 0);
    assert.equal(pool.queued, 0);
  });

  test('a new task does not jump ahead of queued ones when a slot frees', async () => {
    const pool = new WorkPool(1);
    const started: number[] = [];
    const { gates } = submit(pool, 2, started);
    await settle();
    gates[0]!.open();
    const late = pool.run(async () => {
      started.push(99);
      return 99;
    });
    gates[1]!.open();
    assert.equal(await late, 99);
    assert.deepEqual(started, [0, 1, 99]);
  });

  test('a failing task frees its slot and rejects to its caller', async () => {
    const pool = new WorkPool(1);
    const failing = pool.run(async () => {
      throw new Error('boom');
    });
    const next = pool.run(async () => 'next');
    await assert.rejects(failing, /boom/);
    assert.equal(await next, 'next');
    assert.equal(pool.active, 0);
  });
});
