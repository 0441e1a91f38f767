/**
 * Two manager nodes in one process sharing one store, the bus and the lease on a private
 * PostgreSQL (nodes "node-a" and "node-b", homes under a temp root, `conf` as their ossec.conf).
 * `twoNodesInProcess` registers the test file's before/after hooks that start and stop them and
 * returns the list they fill: nodes[0] is A, nodes[1] is B once `before` has run.
 */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openManagerHost, type ManagerHost } from '../../../src/runtime/manager-host.js';
import {
  createClusterNode,
  type ClusterNode,
  type ClusterOptions,
} from '../../../src/runtime/cluster-node.js';
import { BUS_KEY_SETTING, newBusKey } from '../../../src/cluster/bus-seal.js';
import { startPgServer, type PgServer } from './pg-server.js';
import type { AgentSession } from '../../../src/manager/agent-sessions.js';
import type { ManagerFrame } from '../../../src/protocol/link.js';

export interface InProcessNode {
  readonly host: ManagerHost;
  readonly cluster: ClusterNode;
}

/** An ossec.conf whose one response, `mark` (rule 100003), runs on every agent for 600 s. */
export const MARK_ALL_CONF = `<ossec_config>
  <command><name>mark</name><executable>mark</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>mark</command><location>all</location><rules_id>100003</rules_id><timeout>600</timeout></active-response>
</ossec_config>
`;

/** Node `i` of a list `twoNodesInProcess` filled (A is 0, B is 1); fails the test if it is not there. */
export function nodeAt(nodes: readonly InProcessNode[], i: number): InProcessNode {
  const n = nodes[i];
  assert.ok(n, `node ${i} is not up`);
  return n;
}

/** A link session that records what the node sends the agent. */
export interface RecordingSession {
  readonly session: AgentSession;
  readonly frames: ManagerFrame[];
  /** The seqs of the order frames sent, in order. */
  readonly orderSeqs: () => number[];
}

export function recordingSession(): RecordingSession {
  const frames: ManagerFrame[] = [];
  return {
    session: {
      send: (f) => {
        frames.push(f);
      },
      close: () => undefined,
      address: '127.0.0.1',
    },
    frames,
    orderSeqs: () => frames.flatMap((f) => (f.type === 'order' ? [f.seq] : [])),
  };
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
      if (nodes.length === 0) {
        // What a node's start-up step (shareEnrollment) does once for the cluster: its bus key.
        await host.ctx.store.setSetting(BUS_KEY_SETTING, newBusKey());
      }
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
