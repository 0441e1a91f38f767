/**
 * The NATS bus's publishes in flight (publish-window.ts), with publishes settled by the test: the
 * ones that fail go back to the head of the queue in the order they were taken, whatever the order
 * they fail in (an outage times out several at once), and no publish starts meanwhile; the bus is
 * told to retry once they are all back. Each failed one put back as it settled re-sent them
 * last-first: a route released, then held again, was announced held, then released.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PublishWindow } from '../../../src/cluster/publish-window.js';

interface Publish {
  readonly item: string;
  readonly ok: () => void;
  readonly fail: (err: Error) => void;
}

interface Setup {
  readonly window: PublishWindow<string>;
  readonly pending: string[];
  /** Publishes started and not settled by the test yet, by item. */
  readonly open: Map<string, Publish>;
  /** Items published, in the order they started. */
  readonly started: string[];
  readonly told: string[];
  readonly flush: () => void;
}

function setup(limit: number, pending: string[]): Setup {
  const open = new Map<string, Publish>();
  const started: string[] = [];
  const told: string[] = [];
  const publish = (item: string): Promise<void> =>
    new Promise<void>((ok, fail) => {
      started.push(item);
      open.set(item, { item, ok, fail });
    });
  const flush = (): void => {
    window.flush(publish);
  };
  const window: PublishWindow<string> = new PublishWindow({
    pending,
    limit,
    sent: () => {
      told.push('sent');
      flush(); // as the bus does
    },
    failed: (err) => told.push(`failed: ${(err as Error).message}`),
    retry: () => told.push('retry'),
  });
  return { window, pending, open, started, told, flush };
}

/** Settles the publish of `item` and lets its callbacks run. */
async function settle(t: Setup, item: string, ok: boolean): Promise<void> {
  const p = t.open.get(item);
  assert.ok(p, `${item} is not in flight`);
  t.open.delete(item);
  if (ok) {
    p.ok();
  } else {
    p.fail(new Error('TIMEOUT'));
  }
  await new Promise<void>((resolve) => setImmediate(resolve));
}

test('failed publishes go back in the order they were taken, once none is in flight', async () => {
  const t = setup(3, ['released 001', 'held 001', 'held 002', 'orders 1-9']);
  t.flush();
  assert.deepEqual(t.started, ['released 001', 'held 001', 'held 002'], 'up to the limit in flight');
  // An outage: the three time out (timeouts in any order); a flush meanwhile (the bus's retry
  // timer, or a new message queued) starts nothing.
  await settle(t, 'released 001', false);
  t.flush();
  const startedMeanwhile = t.started.slice(3);
  await settle(t, 'held 002', false);
  const backEarly = [...t.pending];
  await settle(t, 'held 001', false);
  assert.deepEqual(t.pending, ['released 001', 'held 001', 'held 002', 'orders 1-9']);
  assert.deepEqual(startedMeanwhile, [], 'no publish starts ahead of the failed ones');
  assert.deepEqual(backEarly, ['orders 1-9'], 'not back while one is still in flight');
  assert.deepEqual(t.told, ['failed: TIMEOUT', 'failed: TIMEOUT', 'failed: TIMEOUT', 'retry']);
  assert.equal(t.window.size, 0);
  // The retry: everything again, in the original order.
  t.flush();
  for (const item of ['released 001', 'held 001', 'held 002']) {
    await settle(t, item, true);
  }
  await settle(t, 'orders 1-9', true);
  assert.deepEqual(t.started.slice(3), ['released 001', 'held 001', 'held 002', 'orders 1-9']);
  assert.deepEqual(t.pending, []);
});

test('a publish that succeeds after one failed is not sent again; the failed one goes back alone', async () => {
  const t = setup(2, ['a', 'b', 'c']);
  t.flush();
  await settle(t, 'a', false);
  await settle(t, 'b', true); // its "sent" flushes: nothing starts while a waits to go back
  assert.deepEqual(t.started, ['a', 'b']);
  assert.deepEqual(t.pending, ['a', 'c']);
  assert.deepEqual(t.told, ['failed: TIMEOUT', 'sent', 'retry']);
  t.flush();
  await settle(t, 'a', true);
  await settle(t, 'c', true);
  assert.deepEqual(t.started, ['a', 'b', 'a', 'c']);
  assert.equal(t.window.size, 0);
});
