/**
 * The manager's history pruning (order-scheduler.ts over ManagerStore.pruneHistory, on SQLite):
 * a run deletes every settled order and report older than `keepMs` in chunks, keeps what the store
 * contract keeps, says so in an event (the metric's source); off the lease it deletes nothing; a
 * failed run is logged and the next one works; `riposte manager` runs it with what it is given.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ManagerEvent } from '../../src/manager/manager-service.js';
import type { ClusterHooks, ManagerContext } from '../../src/manager/manager-context.js';
import type { ManagerStore } from '../../src/core/orders/manager-store.js';
import { startOrderScheduler } from '../../src/manager/order-scheduler.js';
import { ManagerMetrics } from '../../src/manager/metrics.js';
import { PRUNE_CHUNK } from '../../src/core/orders/history-retention.js';
import { execution, newOrder } from '../contract/manager-store.fixtures.js';
import { withManagerHost } from './support/manager-host.js';
import { makeDir, removeDir } from './support/fleet.js';
import { startManagerRuntime } from '../../src/runtime/manager-runtime.js';
import { openSqliteManagerStore } from '../../src/store/sqlite-manager-store.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

const DAY = 24 * 60 * 60 * 1000;
const NOW = 1_000 * DAY;
const HOUR = 60 * 60 * 1000;

/** `count` expired orders of agent 001 created at `from`, `from` + 1, ... (history once old enough). */
async function expiredOrders(store: ManagerStore, count: number, from: number): Promise<void> {
  const orders = await store.enqueueOrders(
    Array.from({ length: count }, (_, i) => newOrder({ createdAt: from + i, expiresAt: from + i + 1 })),
  );
  await store.updateOrders(
    orders.map((o) => ({
      agentId: o.agentId,
      seq: o.seq,
      update: { state: 'expired', expiredAt: o.expiresAt },
    })),
  );
}

/** Cluster hooks whose lease is held while `isLeader()` says so. */
function leaseHooks(isLeader: () => boolean): ClusterHooks {
  return {
    now: Date.now,
    clock: () => undefined,
    handOff: () => undefined,
    isLeader,
    connectedElsewhere: () => false,
    busTraffic: () => undefined,
    greeted: () => undefined,
  };
}

/** The scheduler of `ctx` with timers that never fire within a test (prune is called directly). */
function scheduler(ctx: ManagerContext): ReturnType<typeof startOrderScheduler> {
  return startOrderScheduler(ctx, HOUR, { keepMs: 30 * DAY, everyMs: HOUR });
}

test('a prune run deletes, in chunks, every settled order and report older than the history kept, and counts them', async () => {
  await withManagerHost('riposte-history-', async (host) => {
    const store = host.store;
    const old = NOW - 31 * DAY;
    const n = 2 * PRUNE_CHUNK + 500;
    await expiredOrders(store, n, old);
    await store.enqueueOrder(newOrder({ agentId: '002', createdAt: NOW - 29 * DAY })); // within the history
    await store.recordExecutions(
      Array.from({ length: 3 }, (_, i) => execution('001', i + 1, { receivedAt: old + i })),
    );
    const events: ManagerEvent[] = [];
    const ctx: ManagerContext = { ...host.ctx, now: () => NOW, emit: (e) => events.push(e) };
    // Whether other work (an I/O callback's turn) ran before each chunk: SQLite settles at once.
    const turns: boolean[] = [];
    let turned = false;
    const prune = store.pruneHistory.bind(store);
    store.pruneHistory = (before, limit) => {
      turns.push(turned);
      turned = false;
      setImmediate(() => {
        turned = true;
      });
      return prune(before, limit);
    };
    const s = scheduler(ctx);
    try {
      // Every settled old order but agent 001's highest seq; every old report but its last id.
      assert.deepEqual(await s.prune(), { orders: n - 1, executions: 2 });
      assert.deepEqual(turns.slice(1), [true, true], 'three chunks, the event loop turned between them');
      assert.deepEqual(await s.prune(), { orders: 0, executions: 0 });
    } finally {
      s.stop();
    }
    assert.deepEqual(
      events.filter((e) => e.type === 'history-pruned'),
      [{ type: 'history-pruned', orders: n - 1, executions: 2 }],
    );
    assert.deepEqual((await store.listOrders({ limit: 100 })).map((o) => `${o.agentId}/${o.seq}`).sort(), [
      '001/' + String(n),
      '002/1',
    ]);
    const metrics = new ManagerMetrics();
    for (const e of events) {
      metrics.record(e);
    }
    const text = await metrics.render();
    assert.match(text, new RegExp(`riposte_history_pruned_total\\{kind="orders"\\} ${n - 1}\\n`));
    assert.match(text, /riposte_history_pruned_total\{kind="executions"\} 2\n/);
  });
});

test('off the lease a node prunes nothing; a failed run is logged and the next run works', async () => {
  await withManagerHost('riposte-history-', async (host) => {
    const store = host.store;
    const old = NOW - 40 * DAY;
    await expiredOrders(store, 3, old);
    let leader = false;
    const errors: string[] = [];
    const ctx: ManagerContext = {
      ...host.ctx,
      now: () => NOW,
      cluster: leaseHooks(() => leader),
      log: {
        debug: (m) => {
          host.ctx.log.debug(m);
        },
        info: (m) => {
          host.ctx.log.info(m);
        },
        warn: (m) => {
          host.ctx.log.warn(m);
        },
        error: (m) => {
          errors.push(m);
        },
        flush: () => {
          host.ctx.log.flush();
        },
      },
    };
    const s = scheduler(ctx);
    try {
      assert.deepEqual(await s.prune(), { orders: 0, executions: 0 });
      assert.equal((await store.listOrders({ limit: 10 })).length, 3);
      leader = true;
      const prune = store.pruneHistory.bind(store);
      store.pruneHistory = () => Promise.reject(new Error('database is locked'));
      assert.deepEqual(await s.prune(), { orders: 0, executions: 0 });
      assert.deepEqual(errors, ['History pruning failed: database is locked']);
      store.pruneHistory = prune;
      assert.deepEqual(await s.prune(), { orders: 2, executions: 0 });
    } finally {
      s.stop();
    }
  });
});

test('a run stops between chunks once the node loses the lease', async () => {
  await withManagerHost('riposte-history-', async (host) => {
    const store = host.store;
    const old = NOW - 40 * DAY;
    await expiredOrders(store, 2 * PRUNE_CHUNK + 10, old);
    let leader = true;
    let calls = 0;
    const prune = store.pruneHistory.bind(store);
    store.pruneHistory = async (before, limit) => {
      calls++;
      const r = await prune(before, limit);
      leader = false; // the lease moved to another node while this chunk ran
      return r;
    };
    const ctx: ManagerContext = {
      ...host.ctx,
      now: () => NOW,
      cluster: leaseHooks(() => leader),
    };
    const s = scheduler(ctx);
    try {
      assert.deepEqual(await s.prune(), { orders: PRUNE_CHUNK, executions: 0 });
      assert.equal(calls, 1);
    } finally {
      s.stop();
    }
  });
});

test('riposte manager prunes with the history it is given; --history and --audit-history refuse a duration that is not positive', async () => {
  const root = makeDir('history');
  try {
    const conf = path.join(root, 'ossec.conf');
    writeFileSync(conf, '<ossec_config></ossec_config>\n');
    const home = path.join(root, 'manager');
    mkdirSync(path.join(home, 'var'), { recursive: true, mode: 0o750 });
    const file = path.join(home, 'var', 'manager.db');
    const before = openSqliteManagerStore(file);
    await expiredOrders(before, 3, Date.now() - 2 * DAY);
    await before.close();
    const m = await startManagerRuntime({
      configPath: conf,
      home,
      listen: { host: '127.0.0.1', port: 0 },
      localAgent: false,
      historyMs: DAY,
      pruneEveryMs: 50,
    });
    const check = openSqliteManagerStore(file);
    try {
      const deadline = Date.now() + 30_000;
      let left = (await check.listOrders({ limit: 10 })).length;
      while (left > 1 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        left = (await check.listOrders({ limit: 10 })).length;
      }
      assert.equal(left, 1, 'two pruned, the highest seq kept');
    } finally {
      await check.close();
      await m.stop();
    }
    const r = spawnSync(process.execPath, [MAIN, 'manager', '-c', conf, '--home', home, '--history', '0'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /--history: "0" is not a positive duration/);
    const audit = spawnSync(
      process.execPath,
      [MAIN, 'manager', '-c', conf, '--home', home, '--audit-history', '-1d'],
      {
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    assert.equal(audit.status, 1, audit.stderr);
    assert.match(audit.stderr, /--audit-history: "-1d" is not a positive duration/);
  } finally {
    removeDir(root);
  }
});
