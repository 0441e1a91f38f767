/**
 * A manager's stop drains its link handler before the store closes (manager-runtime.ts stopAll,
 * single-host-runtime.ts): the last-seen writes of the last disconnections, and the frames received
 * just before, are queued for the next event-loop turn (link-handler.ts seenWriter, frameBatcher).
 * Closing the store at once lost them ("The database connection is not open"). Here an agent's
 * hello is applied once the handler is drained; then it disconnects, the handler is drained and the
 * store closed in the same turn; the store, reopened, holds the disconnection's last-seen time.
 * The last-seen writes run one at a time, and drain() waits for the one in flight: an agent pushed
 * twice before the writer's flush started (a sign of life, then its close) scheduled a second
 * flush, which found nothing to write and let drain() return, and the next push write, while the
 * first flush's write was still running.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openManagerHost, type ManagerHost } from '../../src/runtime/manager-host.js';
import type { AgentSession } from '../../src/manager/agent-sessions.js';
import type { AgentSeenOf } from '../../src/core/orders/manager-store.js';
import { agentRecord } from '../contract/manager-store.fixtures.js';
import { withManagerHost } from './support/manager-host.js';

test('drain() writes the last frames and last-seen times before the store closes', async () => {
  const root = mkdtempSync(join(tmpdir(), 'riposte-link-drain-'));
  try {
    writeFileSync(join(root, 'ossec.conf'), '<ossec_config></ossec_config>\n');
    const opts = { configPath: join(root, 'ossec.conf'), home: join(root, 'home') };
    const host = await openManagerHost(opts, false, 'riposte-manager');
    await host.store.insertAgent(agentRecord('001'));
    const session: AgentSession = { address: '127.0.0.1', send: () => undefined, close: () => undefined };
    host.handler.opened('001', session);
    host.handler.frame('001', session, {
      type: 'hello',
      version: '9.8.7',
      lastOrderSeq: 0,
      disabled: false,
      batches: true,
    });
    await host.handler.drain();
    assert.equal((await host.store.getAgent('001'))?.version, '9.8.7', 'the hello is applied once drained');
    const closedAt = Date.now();
    host.handler.closed('001', session);
    await host.handler.drain();
    await host.store.close();

    const reopened = await openManagerHost(opts, false, 'riposte-manager');
    try {
      const agent = await reopened.store.getAgent('001');
      assert.ok(agent?.lastSeen !== undefined && agent.lastSeen >= closedAt, `last seen: ${agent?.lastSeen}`);
      assert.equal(agent?.version, '9.8.7');
    } finally {
      await reopened.store.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

/** The store's last-seen writes held until released, one by one: what ran, and how many at once. */
interface HeldWrites {
  readonly calls: (readonly AgentSeenOf[])[];
  /** Resolves once `n` writes have started. */
  started(n: number): Promise<void>;
  /** Lets the writes started so far finish. */
  release(): void;
  readonly running: { now: number; most: number };
}

function holdWrites(store: ManagerHost['ctx']['store']): HeldWrites {
  const calls: (readonly AgentSeenOf[])[] = [];
  const running = { now: 0, most: 0 };
  let releases: (() => void)[] = [];
  let onStart = (): void => undefined;
  store.updateAgentsSeen = async (list) => {
    calls.push(list);
    running.now++;
    running.most = Math.max(running.most, running.now);
    onStart();
    await new Promise<void>((resolve) => releases.push(resolve));
    running.now--;
  };
  return {
    calls,
    running,
    started: (n) =>
      new Promise((resolve) => {
        onStart = () => {
          if (calls.length >= n) {
            resolve();
          }
        };
        onStart();
      }),
    release: () => {
      const r = releases;
      releases = [];
      for (const f of r) {
        f();
      }
    },
  };
}

const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
};

test('drain() waits for the last-seen write in flight; one write at a time', async () => {
  await withManagerHost('riposte-seen-drain-', async (host) => {
    const writes = holdWrites(host.ctx.store);
    const session = (address: string): AgentSession => ({
      address,
      send: () => undefined,
      close: () => undefined,
    });
    const one = session('192.0.2.1');
    host.handler.opened('001', one);
    host.handler.seen('001'); // a sign of life: a write queued, its flush scheduled
    host.handler.closed('001', one); // the close in the same turn: the same agent's entry
    let drained = false;
    const drain = host.handler.drain().then(() => {
      drained = true;
    });
    await writes.started(1);
    await turns(10); // a second flush, had one been scheduled, would have run (and ended) by now
    assert.equal(drained, false, 'drain() returned with a write in flight');
    // Another agent's sign of life while the first write runs: written after it, not beside it.
    host.handler.opened('002', session('192.0.2.2'));
    host.handler.seen('002');
    await turns(10);
    assert.equal(writes.calls.length, 1, 'a second write started beside the first');
    writes.release();
    await writes.started(2);
    writes.release();
    await drain;
    assert.deepEqual(
      writes.calls.map((list) => list.map((w) => w.id)),
      [['001'], ['002']],
    );
    assert.equal(writes.running.most, 1);
    assert.equal(writes.running.now, 0);
  });
});
