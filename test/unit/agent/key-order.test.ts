/**
 * KeyOrder: per-key FIFO locks, with adds whose key is unknown until their script announces it.
 * Steps are driven explicitly; `settle()` lets pending promise callbacks run (no timers involved).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyOrder, type KeyLease } from '../../../src/agent/key-order.js';

const FW = 'active-response/bin/firewall-drop';
const HD = 'active-response/bin/host-deny';

/** Runs every queued microtask and one macrotask turn. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Starts an acquire and records when its lease is granted. */
function track(p: Promise<KeyLease>, log: string[], name: string): { lease: () => KeyLease } {
  let lease: KeyLease | undefined;
  void p.then((l) => {
    lease = l;
    log.push(name);
  });
  return {
    lease: () => {
      assert.ok(lease, `${name} holds no lease`);
      return lease;
    },
  };
}

describe('KeyOrder', () => {
  test('a delete arriving while an earlier add of the same program is unresolved waits for it', async () => {
    const order = new KeyOrder();
    const log: string[] = [];
    const addSeq = order.arrive(FW);
    const delSeq = order.arrive(FW);
    const del = track(order.acquire(FW, delSeq, 'firewall-drop-1.2.3.4'), log, 'delete');
    await settle();
    assert.deepEqual(log, [], 'the delete must not take the lock before the add resolved');
    const add = track(order.acquire(FW, addSeq, 'firewall-drop-1.2.3.4'), log, 'add');
    await settle();
    assert.deepEqual(log, ['add']);
    add.lease().release();
    await settle();
    assert.deepEqual(log, ['add', 'delete']);
    del.lease().release();
    assert.equal(order.lockedKeys, 0);
  });

  test('same-key executions hold the lock one at a time, in arrival order', async () => {
    const order = new KeyOrder();
    const log: string[] = [];
    const seqs = [order.arrive(FW), order.arrive(FW), order.arrive(FW)];
    const key = 'firewall-drop-203.0.113.7';
    // Announced in reverse order: the tickets still queue on the lock in arrival order.
    const third = track(order.acquire(FW, seqs[2]!, key), log, 'third');
    const second = track(order.acquire(FW, seqs[1]!, key), log, 'second');
    const first = track(order.acquire(FW, seqs[0]!, key), log, 'first');
    await settle();
    assert.deepEqual(log, ['first']);
    first.lease().release();
    await settle();
    assert.deepEqual(log, ['first', 'second']);
    second.lease().release();
    await settle();
    assert.deepEqual(log, ['first', 'second', 'third']);
    third.lease().release();
    assert.equal(order.lockedKeys, 0);
  });

  test('different keys run concurrently', async () => {
    const order = new KeyOrder();
    const log: string[] = [];
    const a = order.arrive(FW);
    const b = order.arrive(FW);
    const c = order.arrive(HD);
    track(order.acquire(FW, a, 'firewall-drop-1.1.1.1'), log, 'a');
    track(order.acquire(FW, b, 'firewall-drop-2.2.2.2'), log, 'b');
    track(order.acquire(HD, c, 'host-deny-1.1.1.1'), log, 'c');
    await settle();
    assert.deepEqual([...log].sort(), ['a', 'b', 'c'], 'all three hold their locks at once');
    assert.equal(order.lockedKeys, 3);
  });

  test('another program is not held up by an unresolved add', async () => {
    const order = new KeyOrder();
    const log: string[] = [];
    order.arrive(FW); // never resolves during this test
    const other = order.arrive(HD);
    track(order.acquire(HD, other, 'host-deny-1.1.1.1'), log, 'other');
    await settle();
    assert.deepEqual(log, ['other']);
  });

  test('an add that resolves without a key releases later ones', async () => {
    const order = new KeyOrder();
    const log: string[] = [];
    const addSeq = order.arrive(FW);
    const laterSeq = order.arrive(FW);
    track(order.acquire(FW, laterSeq, 'firewall-drop-9.9.9.9'), log, 'later');
    await settle();
    assert.deepEqual(log, []);
    order.resolve(FW, addSeq); // the script ended (EOF) before printing check_keys
    await settle();
    assert.deepEqual(log, ['later']);
  });

  test('acquire with key undefined resolves the ticket and takes no lock', async () => {
    const order = new KeyOrder();
    const log: string[] = [];
    const addSeq = order.arrive(FW);
    const laterSeq = order.arrive(FW);
    track(order.acquire(FW, laterSeq, 'firewall-drop-9.9.9.9'), log, 'later');
    const none = track(order.acquire(FW, addSeq, undefined), log, 'none');
    await settle();
    assert.deepEqual(log, ['none', 'later']);
    none.lease().release(); // the no-op lease is harmless
    assert.equal(order.lockedKeys, 1);
  });

  test('resolving an unknown or already-resolved ticket is a no-op', async () => {
    const order = new KeyOrder();
    const seq = order.arrive(FW);
    order.resolve(FW, seq);
    order.resolve(FW, seq);
    order.resolve(HD, 12345);
    const log: string[] = [];
    track(order.acquire(FW, order.arrive(FW), 'firewall-drop-x'), log, 'next');
    await settle();
    assert.deepEqual(log, ['next']);
  });
});
