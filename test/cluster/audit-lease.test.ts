/**
 * The shared audit trail is pruned once per cluster (#11: "any periodic job run once per cluster"):
 * two `startManagerRuntime` nodes with the real REST layer on one private PostgreSQL; an audited
 * request on the node off the timers' lease deletes nothing, the same request on the lease holder
 * (made after the follower's entry is stored, so after the follower's prune decision) deletes what
 * is past the retention, and its metrics count all of it.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ManagerApiRuntimeHandle } from '../../src/manager-api/create-manager-api.js';
import type { ManagerApiHandle } from '../../src/manager/manager-service.js';
import type { AuditEntry } from '../../src/protocol/api-access.js';
import type { ManagerRuntime } from '../../src/runtime/manager-runtime.js';
import { openPgApiStore } from '../../src/store/pg-api-store.js';
import { makeDir, removeDir, waitFor } from '../manager/support/fleet.js';
import { served, startApiNode } from './support/api-nodes.js';
import { startPgServer } from './support/pg-server.js';

const DAY = 24 * 60 * 60 * 1000;
const root = makeDir('audit-lease');
after(() => {
  removeDir(root);
});

const oldEntry = (name: string): AuditEntry => ({
  at: Date.now() - 2 * DAY,
  tokenId: undefined,
  tokenName: undefined,
  role: undefined,
  method: 'POST',
  path: `/old/${name}`,
  status: 202,
  agents: undefined,
  remote: undefined,
});

interface Node {
  readonly rt: ManagerRuntime;
  /** What the runtime passed the REST layer as its lease check. */
  readonly isLeader: () => boolean;
}

/** Starts a node and adds it to `running` (stopped by the test's `finally`) before checking it. */
async function startNode(storeUrl: string, name: string, running: ManagerRuntime[]): Promise<Node> {
  let isLeader: (() => boolean) | undefined;
  const rt = await startApiNode(
    { root, storeUrl, name, running },
    {
      onApi: (ctx) => {
        isLeader = ctx.isLeader;
      },
      over: { auditHistoryMs: DAY },
    },
  );
  assert.ok(isLeader, 'a cluster node gives its REST layer the lease check');
  return { rt, isLeader };
}

/** One audited request (an unauthenticated POST, refused: still audited) served by `api`. */
async function auditedRequest(api: ManagerApiHandle | undefined): Promise<void> {
  await served(api, async (base) => {
    const res = await fetch(`${base}/tokens`, { method: 'POST' });
    assert.equal(res.status, 401);
  });
}

/** The REST layer's pruning metric lines. */
async function prunedMetric(api: ManagerApiHandle | undefined): Promise<string> {
  assert.ok(api);
  const text = await (api as ManagerApiRuntimeHandle).metrics.render();
  return text
    .split('\n')
    .filter((l) => l.startsWith('riposte_history_pruned_total'))
    .join('\n');
}

async function trailPaths(url: string): Promise<string[]> {
  const store = await openPgApiStore(url);
  try {
    return (await Promise.resolve(store.audit.list(100))).map((e) => e.path).sort();
  } finally {
    await store.close();
  }
}

test('only the node holding the timers lease prunes the shared audit trail', async () => {
  const pg = await startPgServer();
  const running: ManagerRuntime[] = [];
  try {
    const a = await startNode(pg.url, 'a', running);
    const b = await startNode(pg.url, 'b', running);
    const seed = await openPgApiStore(pg.url);
    try {
      for (const name of ['1', '2']) {
        await Promise.resolve(seed.audit.append(oldEntry(name)));
      }
    } finally {
      await seed.close();
    }
    const nodes = [a, b];
    const leader = await waitFor('a lease holder', 20_000, () => nodes.find((n) => n.isLeader()));
    const follower = nodes.find((n) => n !== leader);
    assert.ok(follower);
    assert.equal(follower.isLeader(), false, 'one lease holder');

    await auditedRequest(follower.rt.api);
    await waitFor("the follower's audit entry", 10_000, async () =>
      (await trailPaths(pg.url)).includes('/tokens') ? true : undefined,
    );
    await auditedRequest(leader.rt.api);
    await waitFor('the old entries pruned', 10_000, async () =>
      (await trailPaths(pg.url)).join() === '/tokens,/tokens' ? true : undefined,
    );
    // The lease holder deleted both: the follower, poked first, deleted none. The leader counts
    // once PostgreSQL's reply is back, which may follow the rows' disappearance seen above.
    await waitFor("the leader's count of pruned entries", 10_000, async () =>
      /^riposte_history_pruned_total\{kind="audit"\} 2$/m.test(await prunedMetric(leader.rt.api))
        ? true
        : undefined,
    );
    assert.doesNotMatch(await prunedMetric(follower.rt.api), /kind="audit"/);
  } finally {
    for (const rt of running) {
      await rt.stop();
    }
    await pg.stop();
  }
});
