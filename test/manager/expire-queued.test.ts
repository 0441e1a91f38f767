/**
 * A hello expires its agent's queued orders past their expiry (order-delivery.ts expireQueued)
 * from the queue it has just read. In a cluster the agent's previous node may commit the agent's
 * ack of such an order between that read and the expiry (it works through its frame backlog):
 * the ack wins, as it does against the cluster-wide timer (expireOrders moves queued orders only).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteManagerStore } from '../../src/store/sqlite-manager-store.js';
import { expireQueued } from '../../src/manager/order-delivery.js';
import { memoryDaemonLog } from '../../src/log/daemon-log.js';
import type { ManagerEvent } from '../../src/manager/manager-service.js';
import { agentRecord, newOrder } from '../contract/manager-store.fixtures.js';

void test('an ack committed after the hello read the queue wins over the expiry', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-expire-queued-'));
  const store = openSqliteManagerStore(join(dir, 'manager.db'));
  try {
    await store.insertAgent(agentRecord('001'));
    await store.enqueueOrders([
      newOrder({ expiresAt: 2 }), // seq 1: past its expiry, acked meanwhile
      newOrder({ expiresAt: 2 }), // seq 2: past its expiry
      newOrder({ expiresAt: 1_000_000 }), // seq 3: live
    ]);
    const queued = await store.queuedOrders('001');
    assert.deepEqual(
      queued.map((o) => o.seq),
      [1, 2, 3],
    );
    await store.ackOrders([{ agentId: '001', seq: 1 }], 50); // the other node's commit

    const events: ManagerEvent[] = [];
    const log = memoryDaemonLog();
    const live = await expireQueued({ store, now: () => 100, emit: (e) => events.push(e), log }, queued);

    assert.deepEqual(
      live.map((o) => o.seq),
      [3],
      'the live order is sent, the acked one is not',
    );
    const states = (await store.getOrders('001', [1, 2, 3])).map((o) => [o.seq, o.state]);
    assert.deepEqual(states, [
      [1, 'delivered'],
      [2, 'expired'],
      [3, 'queued'],
    ]);
    assert.equal((await store.getOrder('001', 1))?.deliveredAt, 50, 'the ack is kept as it was');
    assert.deepEqual(events, [{ type: 'order-state', agentId: '001', seq: 2, state: 'expired' }]);
    assert.deepEqual(
      log.lines.filter((l) => l.level === 'warn').map((l) => l.msg),
      ['Order 001#2 expired undelivered (mark600).'],
    );
  } finally {
    await Promise.resolve(store.close());
    rmSync(dir, { recursive: true, force: true });
  }
});
