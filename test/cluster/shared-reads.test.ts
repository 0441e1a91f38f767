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
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { adminTokenPath, createManagerApi } from '../../src/manager-api/create-manager-api.js';
import type { ManagerApiHandle } from '../../src/manager/manager-service.js';
import { startManagerRuntime, type ManagerRuntime } from '../../src/runtime/manager-runtime.js';
import { openPgManagerStore } from '../../src/store/pg-manager-store.js';
import { active } from '../manager-api/fake-manager-service.js';
import type { FleetExecution } from '../../src/protocol/fleet-records.js';
import { makeDir, removeDir, waitFor } from '../manager/support/fleet.js';
import { startPgServer } from './support/pg-server.js';

const CONFIG = `<ossec_config>
  <command><name>mark</name><executable>mark</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>mark</command><location>all</location><rules_id>100003</rules_id><timeout>600</timeout></active-response>
</ossec_config>
`;

const root = makeDir('shared-reads');
after(() => {
  removeDir(root);
});

async function startNode(storeUrl: string, name: string, running: ManagerRuntime[]): Promise<ManagerRuntime> {
  const conf = path.join(root, 'ossec.conf');
  writeFileSync(conf, CONFIG);
  const rt = await startManagerRuntime({
    configPath: conf,
    home: path.join(root, name),
    listen: { host: '127.0.0.1', port: 0 },
    localAgent: false,
    cluster: { storeUrl, bus: 'postgres', leaseEveryMs: 200 },
    createApi: (ctx) => createManagerApi(ctx),
  });
  running.push(rt);
  return rt;
}

/** Serves the REST layer `api` on a loopback port for `fn`. */
async function served<T>(api: ManagerApiHandle | undefined, fn: (base: string) => Promise<T>): Promise<T> {
  assert.ok(api);
  const server = http.createServer((req, res) => {
    api.handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
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
  const pg = await startPgServer();
  const running: ManagerRuntime[] = [];
  const store = await openPgManagerStore(pg.url);
  try {
    const a = await startNode(pg.url, 'a', running);
    const b = await startNode(pg.url, 'b', running);
    const token = readFileSync(adminTokenPath(path.join(root, 'a')), 'utf8').trim();
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
  } finally {
    await store.close();
    for (const rt of running) {
      await rt.stop();
    }
    await pg.stop();
  }
});

test("an execution feed on any node shows the executions another node's agents reported", async () => {
  const pg = await startPgServer();
  const running: ManagerRuntime[] = [];
  const store = await openPgManagerStore(pg.url);
  try {
    const a = await startNode(pg.url, 'a', running);
    const b = await startNode(pg.url, 'b', running);
    const token = readFileSync(adminTokenPath(path.join(root, 'a')), 'utf8').trim();
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
              await store.recordExecution(executionOf('007', id));
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
  } finally {
    await store.close();
    for (const rt of running) {
      await rt.stop();
    }
    await pg.stop();
  }
});

/** An execution of `agentId` as an agent reports it. */
function executionOf(agentId: string, id: number): FleetExecution {
  return {
    id,
    key: `mark-10.9.1.${id}`,
    arName: 'mark600',
    program: 'active-response/bin/mark',
    action: 'add',
    agentId,
    alertId: `alert-${id}`,
    ruleId: 100003,
    srcip: `10.9.1.${id}`,
    user: undefined,
    startedAt: Date.now(),
    endedAt: Date.now(),
    exitCode: 0,
    signal: undefined,
    timedOut: false,
    status: 'ok',
    stderrTail: '',
    note: undefined,
    orderSeq: undefined,
    receivedAt: Date.now(),
  };
}
