/**
 * A cluster node's execution feed read from the shared store (src/manager-api/store-execution-feed.ts):
 * it starts at the newest stored execution when the first feed opens, hands every later one to
 * every feed once, asks again for a number that committed late, reads no more once the last feed
 * has closed, and logs a failing read once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NumberedExecution } from '../../../src/core/orders/manager-console-store.js';
import type { FleetExecution } from '../../../src/protocol/fleet-records.js';
import { StoreExecutionFeed } from '../../../src/manager-api/store-execution-feed.js';
import { waitFor } from '../../manager/support/fleet.js';

/** A store of numbered executions the test fills, committed in any order. */
class FakeStore {
  readonly rows = new Map<number, NumberedExecution>();
  reads = 0;
  fail: Error | undefined;

  commit(n: number): void {
    this.rows.set(n, { n, execution: { agentId: '001', id: n } as unknown as FleetExecution });
  }

  executionsAfter = async (
    after: number,
    also: readonly number[],
    limit: number,
  ): Promise<NumberedExecution[]> => {
    this.reads += 1;
    if (this.fail !== undefined) {
      throw this.fail;
    }
    return Promise.resolve(
      [...this.rows.values()]
        .filter((r) => r.n > after || also.includes(r.n))
        .sort((a, b) => a.n - b.n)
        .slice(0, limit),
    );
  };

  lastExecutionNumber = async (): Promise<number> => Promise.resolve(Math.max(0, ...this.rows.keys()));
}

function feedOver(store: FakeStore, warnings: string[] = []): StoreExecutionFeed {
  return new StoreExecutionFeed({
    service: store,
    everyMs: 10,
    now: Date.now,
    log: {
      warn: (m) => {
        warnings.push(m);
      },
    },
  });
}

test('from the newest stored: each later execution once to every feed, a late commit included', async () => {
  const store = new FakeStore();
  store.commit(1);
  store.commit(2);
  const feed = feedOver(store);
  const a: number[] = [];
  const b: number[] = [];
  const offA = feed.subscribe((e) => a.push(e.id));
  const offB = feed.subscribe((e) => b.push(e.id));
  try {
    await waitFor('the start read', 5_000, () => (store.reads > 0 ? true : undefined));
    store.commit(3);
    store.commit(5); // 4 is still being inserted
    await waitFor('3 and 5', 5_000, () => (a.length === 2 ? true : undefined));
    store.commit(4);
    store.commit(6);
    await waitFor('4 and 6', 5_000, () => (a.length === 4 && b.length === 4 ? true : undefined));
    const reads = store.reads;
    await waitFor('a few more reads', 5_000, () => (store.reads > reads + 3 ? true : undefined));
    assert.deepEqual(a, [3, 5, 4, 6]);
    assert.deepEqual(b, a);
  } finally {
    offA();
    offB();
    await feed.close();
  }
  const after = store.reads;
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(store.reads, after, 'no read once every feed has closed');
});

test('a number below the newest when the feed opened, still being inserted then, is shown when it commits', async () => {
  const store = new FakeStore();
  for (const n of [1, 2, 4]) {
    store.commit(n); // 3 is taken by an insert that has not committed yet
  }
  const feed = feedOver(store);
  const got: number[] = [];
  const off = feed.subscribe((e) => got.push(e.id));
  try {
    await waitFor('the start read', 5_000, () => (store.reads > 0 ? true : undefined));
    store.commit(3);
    store.commit(5);
    await waitFor('3 and 5', 5_000, () => (got.length === 2 ? true : undefined));
    assert.deepEqual(got.sort(), [3, 5], 'what was stored before the feed opened is not shown');
  } finally {
    off();
    await feed.close();
  }
});

test('a failing read is logged once; the feed goes on from where it was', async () => {
  const store = new FakeStore();
  const warnings: string[] = [];
  const feed = feedOver(store, warnings);
  const got: number[] = [];
  const off = feed.subscribe((e) => got.push(e.id));
  try {
    await waitFor('the start read', 5_000, () => (store.reads > 0 ? true : undefined));
    store.fail = new Error('connection lost');
    const reads = store.reads;
    await waitFor('failing reads', 5_000, () => (store.reads > reads + 3 ? true : undefined));
    store.commit(1);
    store.fail = undefined;
    await waitFor('the execution after the failure', 5_000, () => (got.length === 1 ? true : undefined));
    assert.deepEqual(warnings, ['Execution feed: cannot read the store: connection lost']);
  } finally {
    off();
    await feed.close();
  }
});
