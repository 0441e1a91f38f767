/**
 * The disk-full state: transitions reported once, and shown in the manager's /metrics text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StorageHealth, isDiskFullError, storageHealth } from '../../../src/log/storage-health.js';
import { ManagerMetrics } from '../../../src/manager/metrics.js';

test('full and recovered are reported once per path, with the time spent full', () => {
  let now = 1_000;
  const h = new StorageHealth(() => now);
  const events: string[] = [];
  h.subscribe((e) =>
    events.push(e.kind === 'full' ? `full ${e.path} ${e.code}` : `back ${e.path} ${e.fullForMs}`),
  );
  h.reportWritten('/h/var/agent.db');
  h.reportFull('/h/var/agent.db', 'SQLITE_FULL');
  h.reportFull('/h/var/agent.db', 'SQLITE_FULL');
  h.countDroppedLogLine();
  h.setDeferredStoreWrites(2);
  assert.deepEqual(h.snapshot(), {
    diskFull: true,
    fullPaths: ['/h/var/agent.db'],
    since: new Date(1_000).toISOString(),
    droppedLogLines: 1,
    deferredStoreWrites: 2,
  });
  now = 4_000;
  h.reportWritten('/h/var/agent.db');
  assert.deepEqual(events, ['full /h/var/agent.db SQLITE_FULL', 'back /h/var/agent.db 3000']);
  assert.equal(h.snapshot().diskFull, false);
  assert.ok(isDiskFullError(Object.assign(new Error('x'), { code: 'ENOSPC' })));
  assert.ok(!isDiskFullError(Object.assign(new Error('x'), { code: 'EACCES' })));
});

test('/metrics shows riposte_disk_full and the dropped/deferred counts', async () => {
  storageHealth.reportFull('/metrics-test/riposte.log', 'ENOSPC');
  try {
    const text = await new ManagerMetrics().render();
    assert.match(text, /^riposte_disk_full 1$/m);
    assert.match(text, /^riposte_log_lines_dropped_total \d+$/m);
    assert.match(text, /^riposte_store_writes_deferred \d+$/m);
  } finally {
    storageHealth.reportWritten('/metrics-test/riposte.log');
  }
  assert.match(await new ManagerMetrics().render(), /^riposte_disk_full 0$/m);
});
