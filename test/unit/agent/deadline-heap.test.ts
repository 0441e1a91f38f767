/**
 * DeadlineHeap against a model: a plain Map key -> deadline, where popDue(now) returns the keys
 * with deadline <= now sorted by deadline (ties in any order) and forgets them.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { COMPACT_MIN, DeadlineHeap } from '../../../src/agent/deadline-heap.js';

type Op =
  | { readonly op: 'set'; readonly key: string; readonly at: number }
  | { readonly op: 'remove'; readonly key: string }
  | { readonly op: 'popDue'; readonly now: number };

/** Few keys and a small time range, so moves, ties and removals of armed keys are frequent. */
const keyArb = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
const timeArb = fc.integer({ min: 0, max: 50 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('set' as const), key: keyArb, at: timeArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('remove' as const), key: keyArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('popDue' as const), now: timeArb }) },
);

function modelPopDue(model: Map<string, number>, now: number): string[] {
  const due = [...model].filter(([, at]) => at <= now).sort((x, y) => x[1] - y[1]);
  for (const [key] of due) {
    model.delete(key);
  }
  return due.map(([key]) => key);
}

function modelPeek(model: Map<string, number>): number | undefined {
  return model.size === 0 ? undefined : Math.min(...model.values());
}

/** Applies `op` to both; asserts the popped keys match the model's (same set, non-decreasing deadlines). */
function step(heap: DeadlineHeap, model: Map<string, number>, op: Op): void {
  switch (op.op) {
    case 'set':
      heap.set(op.key, op.at);
      model.set(op.key, op.at);
      return;
    case 'remove':
      heap.remove(op.key);
      model.delete(op.key);
      return;
    case 'popDue': {
      const deadlines = new Map(model);
      const want = modelPopDue(model, op.now);
      const got = heap.popDue(op.now);
      assert.deepEqual([...got].sort(), [...want].sort());
      const times = got.map((k) => deadlines.get(k) ?? NaN);
      assert.deepEqual(
        times,
        [...times].sort((x, y) => x - y),
        'earliest first',
      );
      return;
    }
  }
}

describe('DeadlineHeap', () => {
  test('matches the model over random set/remove/popDue sequences', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        const heap = new DeadlineHeap();
        const model = new Map<string, number>();
        for (const op of ops) {
          step(heap, model, op);
          assert.equal(heap.size, model.size);
          assert.equal(heap.peek(), modelPeek(model));
        }
        assert.deepEqual([...heap.popDue(Infinity)].sort(), modelPopDue(model, Infinity).sort());
        assert.equal(heap.size, 0);
      }),
      { numRuns: 500 },
    );
  });

  test('moving a deadline later supersedes the earlier entry', () => {
    const heap = new DeadlineHeap();
    heap.set('k', 10);
    heap.set('k', 30);
    assert.deepEqual(heap.popDue(20), []);
    assert.equal(heap.peek(), 30);
    assert.deepEqual(heap.popDue(30), ['k']);
  });

  test('a removed key never pops, even when re-armed later with another time', () => {
    const heap = new DeadlineHeap();
    heap.set('k', 5);
    heap.remove('k');
    assert.equal(heap.peek(), undefined);
    heap.set('k', 8);
    assert.deepEqual(heap.popDue(6), []);
    assert.deepEqual(heap.popDue(8), ['k']);
  });

  test('popDue is inclusive of now and returns earliest first', () => {
    const heap = new DeadlineHeap();
    heap.set('late', 20);
    heap.set('early', 10);
    heap.set('mid', 15);
    assert.deepEqual(heap.popDue(15), ['early', 'mid']);
    assert.equal(heap.size, 1);
  });

  test('setMany (adopting its arrays on an empty heap, or appending) matches the model', () => {
    const pairs = fc.array(fc.tuple(keyArb, timeArb), { maxLength: 30 });
    fc.assert(
      fc.property(pairs, pairs, fc.array(opArb, { maxLength: 30 }), (first, second, ops) => {
        const heap = new DeadlineHeap();
        const model = new Map<string, number>();
        for (const batch of [first, second]) {
          heap.setMany(
            batch.map(([k]) => k),
            batch.map(([, at]) => at),
          );
          for (const [k, at] of batch) {
            model.set(k, at);
          }
          assert.equal(heap.size, model.size);
          assert.equal(heap.peek(), modelPeek(model));
        }
        for (const op of ops) {
          step(heap, model, op);
        }
        assert.deepEqual([...heap.popDue(Infinity)].sort(), modelPopDue(model, Infinity).sort());
      }),
      { numRuns: 300 },
    );
  });

  test('superseded and removed entries do not pile up: the heap is rebuilt, and still pops like the model', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            {
              weight: 6,
              arbitrary: fc.record({
                op: fc.constant('set' as const),
                key: fc.integer({ min: 0, max: 40 }).map(String),
                at: fc.integer({ min: 0, max: 100_000 }),
              }),
            },
            {
              weight: 2,
              arbitrary: fc.record({
                op: fc.constant('remove' as const),
                key: fc.integer({ min: 0, max: 40 }).map(String),
              }),
            },
            {
              weight: 1,
              arbitrary: fc.record({
                op: fc.constant('popDue' as const),
                now: fc.integer({ min: 0, max: 2_000 }),
              }),
            },
          ),
          { minLength: 3_000, maxLength: 6_000 },
        ),
        (ops) => {
          const heap = new DeadlineHeap();
          const model = new Map<string, number>();
          for (const op of ops) {
            step(heap, model, op);
            assert.ok(
              heap.entries <= Math.max(COMPACT_MIN - 1, 2 * heap.size),
              `${heap.entries} entries for ${heap.size} keys`,
            );
          }
          assert.equal(heap.peek(), modelPeek(model));
          assert.deepEqual([...heap.popDue(Infinity)].sort(), modelPopDue(model, Infinity).sort());
        },
      ),
      { numRuns: 20 },
    );
  });

  test('setMany refuses arrays of different lengths', () => {
    assert.throws(() => {
      new DeadlineHeap().setMany(['a', 'b'], [1]);
    }, RangeError);
  });
});
