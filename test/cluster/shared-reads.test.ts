/**
 * Every node serves the whole fleet's reads (#11: "any node ... serves the API"): an agent reports
 * its responses and executions to the node holding its link, so the others learn them from the
 * shared store. Two `startManagerRuntime` nodes with the real REST layer on one private PostgreSQL;
 * what is stored as another node stores it (no event on either node):
 * - an active response is listed by both, and its removal too (read-models.ts reads the list again
 *   when its copy is older than 2 s);
 * - an execution reaches an execution feed open on each (store-execution-feed.ts).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { adminTokenPath } from '../../src/manager-api/create-manager-api.js';
import type { ManagerApiHandle } from '../../src/manager/manager-service.js';
import type { ManagerRuntime } from '../../src/runtime/manager-runtime.js';
import { openPgManagerStore } from '../../src/store/pg-manager-store.js';
import type { ManagerStore } from '../../src/core/orders/manager-store.js';
import { execution } from '../contract/manager-store.fixtures.js';
import { active } from '../manager-api/fake-manager-service.js';
import { makeDir, removeDir, waitFor } from '../manager/support/fleet.js';
import { served, startApiNode } from './support/api-nodes.js';
import { startPgServer } from './support/pg-server.js';

const root = makeDir('shared-reads');
after(() => {
  removeDir(root);
});

interface TwoNodes {
  readonly a: ManagerRuntime;
  readonly b: ManagerRuntime;
  /** The shared store, opened as a third node would. */
  readonly store: ManagerStore;
  /** An admin token (shared by every node). */
  readonly token: string;
}

/** Two nodes on a private PostgreSQL for `fn`; everything stopped after. */
async function withTwoNodes(fn: (n: TwoNodes) => Promise<void>): Promise<void> {
  const pg = await startPgServer();
  const running: ManagerRuntime[] = [];
  const store = await openPgManagerStore(pg.url);
  try {
    const a = await startApiNode({ root, storeUrl: pg.url, name: 'a', running });
    const b = await startApiNode({ root, storeUrl: pg.url, name: 'b', running });
    const token = readFileSync(adminTokenPath(path.join(root, 'a')), 'utf8').trim();
    await fn({ a, b, store, token });
  } finally {
    await store.close();
    for (const rt of running) {
      await rt.stop();
    }
    await pg.stop();
  }
}

/** The keys `GET /active-responses` lists on the node whose REST layer is `api`. */
async function listed(api: ManagerApiHandle | undefined, token: string): Promise<string[]> {
  return served(api, async (base) => {
    const res = await fetch(`${base}/active-responses`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    return ((await res.json()) as { items: { key: string }[] }).items.map((i) => i.key);
  });
}

/** Opens `GET /executions/stream` on `api`, runs `act`, and returns the first execution event's data. */
async function firstFeedEvent(
  api: ManagerApiHandle | undefined,
  token: string,
  act: () => Promise<void>,
): Promise<string> {
  return served(api, async (base) => {
    const controller = new AbortController();
    const res = await fetch(`${base}/executions/stream`, {
      headers: { authorization: `Bearer ${token}` },
      signal: controller.signal,
    });
    assert.equal(res.status, 200);
    assert.ok(res.body);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const deadline = setTimeout(() => {
      controller.abort();
    }, 20_000);
    try {
      await act();
      for (;;) {
        const { value, done } = await reader.read();
        assert.ok(!done, 'the feed ended without an execution');
        text += value;
        const data = /event: execution\ndata: (.*)\n/.exec(text)?.[1];
        if (data !== undefined) {
          return data;
        }
      }
    } finally {
      clearTimeout(deadline);
      controller.abort();
    }
  });
}

test("every node lists the responses another node's agent reported, and their removal", async () => {
  await withTwoNodes(async ({ a, b, store, token }) => {
    assert.deepEqual(await listed(a.api, token), []);
    assert.deepEqual(await listed(b.api, token), []);
    await store.putActive(active('mark-10.9.0.1', '007', '10.9.0.1'), Date.now());
    for (const [name, node] of [
      ['a', a],
      ['b', b],
    ] as const) {
      await waitFor(`node ${name} listing the stored response`, 15_000, async () =>
        (await listed(node.api, token)).includes('mark-10.9.0.1') ? true : undefined,
      );
    }
    await store.removeActive('007', 'mark-10.9.0.1');
    for (const node of [a, b]) {
      await waitFor('the removal listed', 15_000, async () =>
        (await listed(node.api, token)).length === 0 ? true : undefined,
      );
    }
  });
});

test("an execution feed on any node shows the executions another node's agents reported", async () => {
  await withTwoNodes(async ({ a, b, store, token }) => {
    let id = 0;
    for (const node of [a, b]) {
      const stored = new Set<number>();
      // A feed shows what is stored after it opened, which it learns asynchronously: executions
      // are stored (as the node of agent 007 stores them) every 300 ms until one is shown.
      let showing = false;
      let storing: Promise<void> = Promise.resolve();
      const data = await firstFeedEvent(node.api, token, async () => {
        storing = (async () => {
          for (let i = 0; i < 60 && !showing; i += 1) {
            id += 1;
            stored.add(id);
            try {
              await store.recordExecution(execution('007', id));
            } catch {
              return; // the test failed and closed the store: its error is the one to see
            }
            await new Promise((r) => setTimeout(r, 300));
          }
        })();
        return Promise.resolve();
      }).finally(() => {
        showing = true;
      });
      await storing;
      const e = JSON.parse(data) as { agentId: string; id: number };
      assert.equal(e.agentId, '007');
      assert.ok(stored.has(e.id), `execution ${e.id} was stored by the test`);
    }
  });
});
