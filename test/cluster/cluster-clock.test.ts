/**
 * The cluster's clock (src/cluster/cluster-clock.ts) against a real private PostgreSQL: every lease
 * renew reads the database's clock, on the holder and on the other nodes; and with the real
 * `riposte manager` commands, a node whose clock runs an hour ahead (its process started under
 * libfaketime, Debian's `faketime`, installed by .ci/run; the host's clock is never touched) still
 * sends the orders another node hands it (they have 10 minutes to live: by its own clock every one
 * of them had expired), and stamps the orders and agent presence it writes with the database's
 * time, as every node reads them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { ClusterClock } from '../../src/cluster/cluster-clock.js';
import { parseApiTime } from '../../src/protocol/api-times.js';
import { startPgLease, type Lease } from '../../src/cluster/pg-lease.js';
import { createClusterNode } from '../../src/runtime/cluster-node.js';
import { FIRST_READING_MS } from '../../src/runtime/cluster-lease.js';
import { memoryDaemonLog } from '../../src/log/daemon-log.js';
import {
  alert,
  api,
  makeDir,
  marks,
  removeDir,
  startManager,
  waitFor,
  type ManagerProc,
} from '../manager/support/fleet.js';
import { startAgentDaemon } from './support/agent-daemon.js';
import { promSample } from '../support/prom-sample.js';
import { startMigratedPgServer, type PgServer } from './support/pg-server.js';
import {
  THREE_NODES_CONFIG,
  enrollAgent,
  logOf,
  startOnTheirNodes,
  type ClusterAgent,
} from './support/three-nodes.js';

const HOUR = 3_600_000;
/** Debian's libfaketime (package `faketime`) for this machine's architecture. */
const LIBFAKETIME = `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu/faketime/libfaketime.so.1`;
/** Generous: how far a node's reading may be from the database's time on a busy machine. */
const TOLERANCE_MS = 60_000;

const root = makeDir('cluster-clock');
let pgServer: PgServer | undefined;
const nodes: ManagerProc[] = [];
let agent: ClusterAgent | undefined;

function server(): PgServer {
  assert.ok(pgServer, 'PostgreSQL is not up');
  return pgServer;
}

/** The database's clock now, epoch ms. */
async function dbNow(c: pg.Client): Promise<number> {
  const r = await c.query<{ ms: number }>(
    'SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms',
  );
  const ms = r.rows[0]?.ms;
  assert.ok(ms !== undefined);
  return ms;
}

before(async () => {
  pgServer = await startMigratedPgServer();
});

after(async () => {
  await agent?.proc?.stop();
  await Promise.all(nodes.map((n) => n.stop()));
  await pgServer?.stop();
  removeDir(root);
});

test('every lease renew reads the database’s clock, on the holder and the others: a node an hour ahead counts from it', async () => {
  // Two nodes' clocks, their wall clocks an hour ahead of the host's (and the database's).
  const clocks = [0, 1].map(
    () => new ClusterClock({ mono: () => performance.now(), wall: () => Date.now() + HOUR }),
  );
  const leases: Lease[] = clocks.map((clock) =>
    startPgLease({
      connectionString: server().url,
      everyMs: 200,
      ttlMs: 3_000,
      onDbTime: (sent, dbMs, answered) => {
        clock.observe(sent, dbMs, answered);
      },
    }),
  );
  const check = new pg.Client({ connectionString: server().url });
  await check.connect();
  try {
    await waitFor('a reading on both nodes, one of them holding the lease', 20_000, () =>
      clocks.every((c) => c.status() !== undefined) && leases.some((l) => l.isLeader()) ? true : undefined,
    );
    for (const clock of clocks) {
      const before = clock.now();
      const db = await dbNow(check);
      const afterRead = clock.now();
      assert.ok(
        before - TOLERANCE_MS <= db && db <= afterRead + TOLERANCE_MS,
        `the node's clock (${before}..${afterRead}) is the database's (${db}), not its own an hour ahead`,
      );
      assert.ok(Math.abs(clock.skewMs() - HOUR) < TOLERANCE_MS, `skew ${clock.skewMs()} ms: about an hour`);
    }
  } finally {
    await check.end();
    await Promise.all(leases.map((l) => l.stop()));
  }
});

test('a cluster node reads the database’s clock before it listens: startClock resolves with a reading', async () => {
  const node = createClusterNode({ storeUrl: server().url, leaseEveryMs: 60_000 }, 1_000);
  const log = memoryDaemonLog();
  const check = new pg.Client({ connectionString: server().url });
  await check.connect();
  try {
    assert.equal(node.hooks.clock(), undefined, 'no reading before');
    // A renew every minute: the reading startClock waits for is the one taken at once at start.
    await node.startClock(log);
    assert.ok(node.hooks.clock(), 'the database’s clock read once startClock resolved');
    const db = await dbNow(check);
    assert.ok(Math.abs(node.hooks.now() - db) < TOLERANCE_MS, 'the node counts from it');
    assert.deepEqual(
      log.lines.filter((l) => l.level === 'warn'),
      [],
      'no warning: the reading came in time',
    );
  } finally {
    await check.end();
    await node.stop();
  }
});

test('no database to read: startClock gives up after FIRST_READING_MS and says the node uses its own clock', async () => {
  // Port 1 on loopback: nothing listens there, every connect is refused at once.
  const node = createClusterNode(
    { storeUrl: 'postgres://riposte@127.0.0.1:1/riposte', leaseEveryMs: 500 },
    1_000,
  );
  const log = memoryDaemonLog();
  const started = performance.now();
  try {
    await node.startClock(log);
    assert.ok(performance.now() - started >= FIRST_READING_MS - 50, 'it waited for a reading first');
    assert.equal(node.hooks.clock(), undefined);
    assert.ok(
      log.lines.some(
        (l) =>
          l.level === 'warn' &&
          l.msg.startsWith(
            "No reading of the database's clock after 5 s: this node stamps order and agent times by its own clock",
          ),
      ),
      JSON.stringify(log.lines),
    );
  } finally {
    await node.stop();
  }
});

/** POSTs one rule-100003 alert (one order for the one agent) to `node`, with node A's admin token. */
async function postAlert(node: ManagerProc, ip: string, n: number): Promise<void> {
  const a = nodes[0];
  assert.ok(a);
  const r = await api({ port: node.port, home: a.home }, 'POST', '/alerts', alert('100003', '001', ip, n));
  const body = r.body as { accepted?: number; orders?: number } | undefined;
  assert.ok(
    r.status === 202 && body?.accepted === 1 && body.orders === 1,
    `POST /alerts: ${r.status} ${JSON.stringify(r.body)} (want 202, one order)`,
  );
}

test('a node an hour ahead (libfaketime) sends what another node hands it and stamps times by the database (real CLI)', async () => {
  assert.ok(
    existsSync(LIBFAKETIME),
    `${LIBFAKETIME} is missing: install Debian's faketime package (.ci/run does)`,
  );
  const conf = path.join(root, 'ossec.conf');
  writeFileSync(conf, THREE_NODES_CONFIG);
  const flags = ['--store', server().url, '--bus', 'postgres', '--no-local-agent', '--order-ttl', '10m'];
  const a = await startManager(path.join(root, 'node-a'), conf, flags);
  nodes.push(a);
  const ahead = { LD_PRELOAD: LIBFAKETIME, FAKETIME: '+1h', FAKETIME_DONT_FAKE_MONOTONIC: '1' };
  const b = await startManager(path.join(root, 'node-b'), conf, flags, ahead);
  nodes.push(b);
  // B's process does run an hour ahead, and says so once it read the database's clock.
  await waitFor(
    'node B warning that its clock is an hour ahead',
    20_000,
    () => /This node's clock is 3\d\d\d\.\d s ahead of the database's/.test(logOf(b.home)) || undefined,
  );
  assert.doesNotMatch(logOf(a.home), /This node's clock is/);
  // One agent, on B only.
  agent = enrollAgent({
    home: path.join(root, 'agent'),
    name: 'host-b',
    managers: `127.0.0.1:${b.port}`,
    passwordFile: path.join(b.home, 'etc', 'authd.pass'),
    caFingerprint: readFileSync(path.join(b.home, 'etc', 'pki', 'ca.fingerprint'), 'utf8').trim(),
    timeoutMs: 60_000,
  });
  const agents = [agent];
  await startOnTheirNodes(agents, {
    start: startAgentDaemon,
    nodeHome: () => b.home,
    nodeName: () => 'B',
    apiNode: a,
    timeoutMs: 30_000,
  });
  const home = agent.home;
  // A stores the order (10 min to live by the database's clock) and hands it to B over the bus.
  await postAlert(a, '198.51.100.7', 1);
  await waitFor(
    'the order A stored, run by the agent on B',
    30_000,
    () => marks(home).includes('add 198.51.100.7') || undefined,
  );
  assert.doesNotMatch(logOf(b.home), /time to live/i, 'B held nothing back as expired');
  // B stores one itself: its stamps are the database's time, as A reads them.
  await postAlert(b, '198.51.100.8', 2);
  await waitFor(
    'the order B stored, run',
    30_000,
    () => marks(home).includes('add 198.51.100.8') || undefined,
  );
  const orders = await api(a, 'GET', `/orders?agent=${agent.id}`);
  const items = (orders.body as { items?: { createdAt?: unknown; expiresAt?: unknown }[] }).items ?? [];
  assert.equal(items.length, 2, JSON.stringify(orders.body));
  const agentsNow = await api(a, 'GET', '/agents');
  const now = Date.now();
  for (const o of items) {
    const created = parseApiTime(String(o.createdAt));
    assert.ok(
      Math.abs(created - now) < TOLERANCE_MS,
      `order created ${String(o.createdAt)}, not an hour ahead`,
    );
    assert.equal(parseApiTime(String(o.expiresAt)) - created, 600_000, 'its 10 minutes to live');
  }
  const seen = (agentsNow.body as { items?: { id: string; lastSeen?: unknown }[] }).items?.find(
    (x) => x.id === agent?.id,
  )?.lastSeen;
  assert.ok(
    Math.abs(parseApiTime(String(seen)) - now) < TOLERANCE_MS,
    `the agent last seen ${String(seen)} by B, not an hour ahead`,
  );
  // Each node's /metrics says how far its own clock is from the cluster's.
  const skew = async (n: ManagerProc): Promise<number> => {
    const r = await api({ port: n.port, home: a.home }, 'GET', '/metrics');
    const v =
      typeof r.body === 'string' ? promSample(r.body, 'riposte_cluster_clock_skew_seconds') : undefined;
    assert.ok(v !== undefined, `GET /metrics: ${r.status}, no riposte_cluster_clock_skew_seconds`);
    return v;
  };
  const [skewA, skewB] = [await skew(a), await skew(b)];
  assert.ok(Math.abs(skewA) < TOLERANCE_MS / 1000, `node A's skew ${skewA} s`);
  assert.ok(Math.abs(skewB - HOUR / 1000) < TOLERANCE_MS / 1000, `node B's skew ${skewB} s: about an hour`);
});
