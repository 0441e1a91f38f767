/**
 * Every node serves the whole fleet's active list (#11: "any node ... serves the API"): an agent
 * reports its responses to the node holding its link, so the others learn them from the shared
 * store (read-models.ts reads it again when its copy is older than 2 s). Two `startManagerRuntime`
 * nodes with the real REST layer on one private PostgreSQL; a response stored as another node
 * stores it (no event on either node) is listed by both, and its removal too.
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
import { makeDir, removeDir, waitFor } from '../manager/support/fleet.js';
import { startPgServer } from './support/pg-server.js';

const CONFIG = `<ossec_config>
  <command><name>mark</name><executable>mark</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>mark</command><location>all</location><rules_id>100003</rules_id><timeout>600</timeout></active-response>
</ossec_config>
`;

const root = makeDir('active-list');
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

/** The keys `GET /active-responses` lists on the node whose REST layer is `api`. */
async function listed(api: ManagerApiHandle | undefined, token: string): Promise<string[]> {
  assert.ok(api);
  const server = http.createServer((req, res) => {
    api.handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/active-responses`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 200);
    return ((await res.json()) as { items: { key: string }[] }).items.map((i) => i.key);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
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
