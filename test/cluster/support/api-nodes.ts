/**
 * Cluster nodes with the real REST layer, for tests of what any node serves: `startManagerRuntime`
 * on a shared PostgreSQL (bus `postgres`, a fast lease, no local agent), and its REST layer served
 * on a loopback port.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createManagerApi } from '../../../src/manager-api/create-manager-api.js';
import type { ManagerApiContext, ManagerApiHandle } from '../../../src/manager/manager-service.js';
import {
  startManagerRuntime,
  type ManagerRuntime,
  type ManagerRuntimeOptions,
} from '../../../src/runtime/manager-runtime.js';

const CONFIG = `<ossec_config>
  <command><name>mark</name><executable>mark</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>mark</command><location>all</location><rules_id>100003</rules_id><timeout>600</timeout></active-response>
</ossec_config>
`;

/**
 * Starts node `name` (home `<root>/<name>`) and adds it to `running` (which the test stops) before
 * anything can fail. `onApi` sees the context the runtime gives its REST layer; `over` adds options.
 */
export async function startApiNode(
  at: { root: string; storeUrl: string; name: string; running: ManagerRuntime[] },
  opts: { onApi?: (ctx: ManagerApiContext) => void; over?: Partial<ManagerRuntimeOptions> } = {},
): Promise<ManagerRuntime> {
  const conf = path.join(at.root, 'ossec.conf');
  writeFileSync(conf, CONFIG);
  const rt = await startManagerRuntime({
    configPath: conf,
    home: path.join(at.root, at.name),
    listen: { host: '127.0.0.1', port: 0 },
    localAgent: false,
    cluster: { storeUrl: at.storeUrl, bus: 'postgres', leaseEveryMs: 200 },
    createApi: (ctx) => {
      opts.onApi?.(ctx);
      return createManagerApi(ctx);
    },
    ...opts.over,
  });
  at.running.push(rt);
  return rt;
}

/** Serves the REST layer `api` on a loopback port while `fn` runs with its base URL. */
export async function served<T>(
  api: ManagerApiHandle | undefined,
  fn: (base: string) => Promise<T>,
): Promise<T> {
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
