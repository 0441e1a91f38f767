/**
 * The audit trail's retention: the pruner's runs (when due, in chunks, one at a time, failures
 * logged) over a recording AuditLog, and the REST API pruning its own trail after a request.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditLog } from '../../src/core/api-access-store.js';
import { auditPruneDue } from '../../src/core/audit-retention.js';
import { PRUNE_CHUNK } from '../../src/core/orders/history-retention.js';
import { createAuditPruner } from '../../src/manager-api/audit-pruner.js';
import { memoryDaemonLog } from '../../src/log/daemon-log.js';
import type { AuditEntry } from '../../src/protocol/api-access.js';
import { apiFixture } from './api-fixture.js';

const DAY = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;

/** An AuditLog over entry times only, recording each prune call's cutoff and limit. */
function recordingAudit(times: number[], fail?: () => boolean): AuditLog & { calls: [number, number][] } {
  const calls: [number, number][] = [];
  return {
    calls,
    append: (e: AuditEntry) => {
      times.push(e.at);
    },
    list: () => [],
    prune: (before, limit) => {
      calls.push([before, limit]);
      if (fail?.() === true) {
        throw new Error('database is locked');
      }
      const old = times
        .filter((t) => t < before)
        .sort((x, y) => x - y)
        .slice(0, limit);
      for (const t of old) {
        times.splice(times.indexOf(t), 1);
      }
      return old.length;
    },
  };
}

const entry = (at: number): AuditEntry => ({
  at,
  tokenId: undefined,
  tokenName: undefined,
  role: undefined,
  method: 'POST',
  path: '/alerts',
  status: 202,
  agents: undefined,
  remote: '127.0.0.1',
});

void describe('audit trail retention', () => {
  void test('a run is due first, then once `everyMs` has passed since the last one started', () => {
    assert.equal(auditPruneDue(5, undefined, HOUR), true);
    assert.equal(auditPruneDue(HOUR - 1, 0, HOUR), false);
    assert.equal(auditPruneDue(HOUR, 0, HOUR), true);
  });

  void test('a run deletes in chunks until one is not full, then counts and logs what it deleted', async () => {
    const now = 100 * DAY;
    const times = [
      ...Array.from({ length: 2 * PRUNE_CHUNK + 5 }, (_, i) => i),
      now - DAY + 1, // inside the retention
    ];
    const audit = recordingAudit(times);
    const log = memoryDaemonLog();
    const pruned: number[] = [];
    const pruner = createAuditPruner(
      audit,
      { keepMs: DAY, everyMs: HOUR },
      { log, onPruned: (n) => pruned.push(n) },
    );
    pruner.poke(now);
    await pruner.idle();
    assert.deepEqual(audit.calls, [
      [now - DAY, PRUNE_CHUNK],
      [now - DAY, PRUNE_CHUNK],
      [now - DAY, PRUNE_CHUNK],
    ]);
    assert.deepEqual(times, [now - DAY + 1], 'only the entry inside the retention is left');
    assert.deepEqual(pruned, [2 * PRUNE_CHUNK + 5], 'one count per run');
    assert.deepEqual(
      log.lines.map((l) => [l.level, l.msg]),
      [['info', 'audit trail pruned']],
    );
  });

  void test('no second run while one runs, nor before `everyMs`; a run that deletes nothing logs nothing', async () => {
    const times = [1, 2, 3];
    const audit = recordingAudit(times);
    const log = memoryDaemonLog();
    const pruner = createAuditPruner(audit, { keepMs: DAY, everyMs: HOUR }, { log });
    const t0 = 10 * DAY;
    pruner.poke(t0);
    pruner.poke(t0 + 2 * HOUR); // due, but the first run has not finished
    await pruner.idle();
    assert.equal(audit.calls.length, 1);
    pruner.poke(t0 + HOUR - 1);
    await pruner.idle();
    assert.equal(audit.calls.length, 1, 'not due yet');
    pruner.poke(t0 + HOUR);
    await pruner.idle();
    assert.equal(audit.calls.length, 2, 'due');
    assert.equal(log.lines.length, 1, 'the second run found nothing to delete and said nothing');
  });

  void test('a failing run is logged, and the next due run tries again', async () => {
    let failing = true;
    const times = [1];
    const audit = recordingAudit(times, () => failing);
    const log = memoryDaemonLog();
    const pruner = createAuditPruner(audit, { keepMs: DAY, everyMs: HOUR }, { log });
    pruner.poke(10 * DAY);
    await pruner.idle();
    assert.deepEqual(
      log.lines.map((l) => [l.level, l.msg]),
      [['error', 'audit trail pruning failed']],
    );
    failing = false;
    pruner.poke(10 * DAY + HOUR);
    await pruner.idle();
    assert.deepEqual(times, [], 'deleted by the next run');
  });

  void test("off the timers' lease (another cluster node holds it) no run starts; on it, the next poke runs", async () => {
    let leader = false;
    const times = [1, 2];
    const audit = recordingAudit(times);
    const pruner = createAuditPruner(
      audit,
      { keepMs: DAY, everyMs: HOUR },
      { log: memoryDaemonLog(), isLeader: () => leader },
    );
    pruner.poke(10 * DAY);
    await pruner.idle();
    assert.deepEqual(audit.calls, [], 'no prune call off the lease');
    leader = true;
    pruner.poke(10 * DAY + 1); // not an `everyMs` later: the refused poke did not count as a run
    await pruner.idle();
    assert.deepEqual(audit.calls, [[9 * DAY + 1, PRUNE_CHUNK]]);
    assert.deepEqual(times, []);
  });

  void test('a run stops before its next chunk once its node has lost the lease', async () => {
    let leader = true;
    const times = Array.from({ length: 3 * PRUNE_CHUNK }, (_, i) => i);
    const base = recordingAudit(times);
    const audit: AuditLog = {
      ...base,
      prune: (before, limit) => {
        leader = false; // lost while the first chunk runs
        return base.prune(before, limit);
      },
    };
    const pruned: number[] = [];
    const pruner = createAuditPruner(
      audit,
      { keepMs: DAY, everyMs: HOUR },
      { log: memoryDaemonLog(), onPruned: (n) => pruned.push(n), isLeader: () => leader },
    );
    pruner.poke(100 * DAY);
    await pruner.idle();
    assert.equal(base.calls.length, 1, 'one chunk, then no further call');
    assert.equal(times.length, 2 * PRUNE_CHUNK);
    assert.deepEqual(pruned, [PRUNE_CHUNK], 'what it did delete is counted');
  });

  void test('the REST API prunes its trail after an audited request, and counts it in its metrics', async () => {
    const f = await apiFixture({ auditRetention: { keepMs: DAY, everyMs: HOUR } });
    try {
      for (const at of [f.clock.now - 3 * DAY, f.clock.now - 2 * DAY, f.clock.now - DAY / 2]) {
        f.store.audit.append(entry(at));
      }
      const res = await f.app.inject({
        method: 'PUT',
        url: '/active-response?agents_list=001',
        headers: f.auth('operator'),
        payload: { command: 'firewall-drop600', alert: { data: { srcip: '10.0.0.1' } } },
      });
      assert.equal(res.statusCode, 200);
      await f.app.close(); // waits for the run the PUT's audit entry started; the store stays open
      assert.deepEqual(
        f.store.audit.list(10).map((e) => [e.at, e.path]),
        [
          [f.clock.now, '/active-response'],
          [f.clock.now - DAY / 2, '/alerts'],
        ],
      );
      assert.match(await f.metrics.render(), /^riposte_history_pruned_total\{kind="audit"\} 2$/m);
    } finally {
      await f.close();
    }
  });
});
