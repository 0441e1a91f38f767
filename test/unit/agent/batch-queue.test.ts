/**
 * BatchQueue (agent/execd/batch-queue.ts): one batch at a time per program, in push order, and
 * the outside work (`after`) that the batches not started yet wait for.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchQueue } from '../../../src/agent/execd/batch-queue.js';
import { turn, until } from '../../support/event-turns.js';

/** A promise and the functions that settle it. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void } {
  let resolve = (): void => undefined;
  let reject: (err: Error) => void = () => undefined;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A queue whose batches are recorded; each batch runs until `hold` (if set) settles. */
function recordingQueue(): { queue: BatchQueue<number>; ran: number[][]; hold: { p?: Promise<void> } } {
  const ran: number[][] = [];
  const hold: { p?: Promise<void> } = {};
  const queue = new BatchQueue<number>(
    async (items) => {
      ran.push(items);
      await hold.p;
    },
    () => undefined,
  );
  return { queue, ran, hold };
}

describe('BatchQueue', () => {
  test('with no outside work, work pushed in one turn starts one batch on the next turn', async () => {
    const { queue, ran } = recordingQueue();
    queue.push(1);
    queue.push(2);
    assert.deepEqual(ran, []);
    await turn();
    assert.deepEqual(ran, [[1, 2]]);
  });

  test('after(work): no batch starts until work has settled; what is pushed meanwhile joins it', async () => {
    const { queue, ran } = recordingQueue();
    const work = deferred();
    queue.after(work.promise);
    queue.push(1);
    queue.push(2);
    for (let i = 0; i < 20; i++) {
      await turn(); // unheld, the batch starts on the first of these turns (test above)
    }
    assert.deepEqual(ran, [], 'held behind the outside work');
    queue.push(3);
    work.resolve();
    await until('the held batch', () => ran.length > 0);
    assert.deepEqual(ran, [[1, 2, 3]]);
    // Once the work has settled, the queue runs as before.
    queue.push(4);
    await turn();
    assert.deepEqual(ran, [[1, 2, 3], [4]]);
  });

  test('after(work) registered once work was queued still holds it (a batch starts a turn later)', async () => {
    const { queue, ran } = recordingQueue();
    const work = deferred();
    queue.push(1);
    queue.after(work.promise);
    for (let i = 0; i < 20; i++) {
      await turn();
    }
    assert.deepEqual(ran, []);
    work.resolve();
    await until('the held batch', () => ran.length > 0);
    assert.deepEqual(ran, [[1]]);
  });

  test('outside work that rejects releases the queue too', async () => {
    const { queue, ran } = recordingQueue();
    const work = deferred();
    queue.after(work.promise);
    queue.push(1);
    await turn();
    assert.deepEqual(ran, []);
    work.reject(new Error('the re-apply failed'));
    await until('the held batch', () => ran.length > 0);
    assert.deepEqual(ran, [[1]]);
  });

  test('several outside works: the next batch waits for all of them', async () => {
    const { queue, ran } = recordingQueue();
    const first = deferred();
    const second = deferred();
    queue.after(first.promise);
    queue.after(second.promise);
    queue.push(1);
    second.resolve();
    for (let i = 0; i < 20; i++) {
      await turn();
    }
    assert.deepEqual(ran, [], 'the first work still runs');
    first.resolve();
    await until('the held batch', () => ran.length > 0);
    assert.deepEqual(ran, [[1]]);
  });

  test('a batch already running is not waited for; the next batch is held', async () => {
    const { queue, ran, hold } = recordingQueue();
    const batch = deferred();
    hold.p = batch.promise;
    queue.push(1);
    await until('the first batch', () => ran.length === 1);
    const work = deferred();
    queue.after(work.promise);
    queue.push(2);
    batch.resolve();
    for (let i = 0; i < 20; i++) {
      await turn();
    }
    assert.deepEqual(ran, [[1]], 'the second batch waits for the outside work');
    work.resolve();
    await until('the second batch', () => ran.length === 2);
    assert.deepEqual(ran, [[1], [2]]);
  });
});
