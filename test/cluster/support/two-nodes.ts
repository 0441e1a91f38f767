/**
 * Two manager nodes in one process sharing one store, the bus and the lease on a private
 * PostgreSQL (nodes "node-a" and "node-b", homes under a temp root, `conf` as their ossec.conf).
 * `twoNodesInProcess` registers the test file's before/after hooks that start and stop them and
 * returns the list they fill: nodes[0] is A, nodes[1] is B once `before` has run.
 */
import { after, before } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openManagerHost, type ManagerHost } from '../../../src/runtime/manager-host.js';
import {
  createClusterNode,
  type ClusterNode,
  type ClusterOptions,
} from '../../../src/runtime/cluster-node.js';
import { startPgServer, type PgServer } from './pg-server.js';

export interface InProcessNode {
  readonly host: ManagerHost;
  readonly cluster: ClusterNode;
}

/** Cluster options other than the store and the bus (timers, for tests that need them fast). */
export type NodeTimers = Omit<ClusterOptions, 'storeUrl' | 'bus'>;

export function twoNodesInProcess(
  conf: string,
  tmpPrefix: string,
  timers: NodeTimers = {},
): readonly InProcessNode[] {
  const nodes: InProcessNode[] = [];
  const root = mkdtempSync(join(tmpdir(), tmpPrefix));
  let pgServer: PgServer | undefined;
  before(async () => {
    pgServer = await startPgServer();
    writeFileSync(join(root, 'ossec.conf'), conf);
    for (const name of ['a', 'b']) {
      const cluster = createClusterNode({ storeUrl: pgServer.url, bus: 'postgres', ...timers }, 1_000);
      const host = await openManagerHost(
        { configPath: join(root, 'ossec.conf'), home: join(root, `home-${name}`), storeUrl: pgServer.url },
        false,
        `node-${name}`,
        cluster.hooks,
      );
      await cluster.attach(host.ctx);
      nodes.push({ host, cluster });
    }
  });
  after(async () => {
    for (const n of nodes) {
      await n.cluster.stop();
      await Promise.resolve(n.host.store.close());
    }
    await pgServer?.stop();
    rmSync(root, { recursive: true, force: true });
  });
  return nodes;
}
