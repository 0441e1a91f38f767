/**
 * Three manager nodes as real processes on one private PostgreSQL (pg-server.ts; fails clearly
 * when it cannot start), routing orders over PostgreSQL LISTEN/NOTIFY (node-main.ts), and three
 * real agent processes (agent-child: the runtime and link connector `riposte agent` runs) enrolled
 * with all three addresses, each starting on a different node, running the harmless `mark` fixture.
 * Alerts (rule 100003, location all: one order per agent) are ingested by nodes A and C; node B is
 * killed with SIGKILL mid-flow: every order reaches its agent exactly once (one "add IP" mark per
 * alert per agent) and B's agent is connected to another node within 10 s. Then PostgreSQL is
 * restarted while idle, and while alerts flow: the nodes recover by themselves.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  alert,
  appendAlerts,
  makeDir,
  marks,
  removeDir,
  startAgent,
  waitFor,
} from '../manager/support/fleet.js';
import { startPgServer, type PgServer } from './support/pg-server.js';
import {
  SentOrders,
  THREE_NODES_CONFIG,
  connects,
  enrollThree,
  startOnTheirNodes,
  type ClusterAgent,
} from './support/three-nodes.js';

const NODE_MAIN = path.resolve('dist/test/cluster/support/node-main.js');

interface NodeProc {
  readonly name: string;
  readonly home: string;
  readonly alerts: string;
  readonly port: number;
  readonly child: ReturnType<typeof spawn>;
  output(): string;
}

const root = makeDir('three-nodes');
const conf = path.join(root, 'ossec.conf');
let pg: PgServer | undefined;
const nodes: NodeProc[] = [];
let agents: ClusterAgent[] = [];
const orders = new SentOrders();

async function startNode(name: string, storeUrl: string): Promise<NodeProc> {
  const home = path.join(root, `node-${name}`);
  const alerts = path.join(root, `alerts-${name}.json`);
  writeFileSync(alerts, '');
  const child = spawn(process.execPath, [NODE_MAIN, conf, home, storeUrl, alerts], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const port = await waitFor(`node ${name} listening`, 30_000, () => {
    if (child.exitCode !== null) {
      throw new Error(`node ${name} exited: ${out}`);
    }
    const m = /listening (\d+)/.exec(out);
    return m ? Number(m[1]) : undefined;
  });
  return { name, home, alerts, port, child, output: () => out };
}

function nodeAt(i: number): NodeProc {
  const n = nodes[i];
  assert.ok(n);
  return n;
}

/** Appends one rule-100003 alert with a fresh source address to `n`'s alerts.json. */
function sendAlert(n: NodeProc): void {
  const { ip, n: alertN } = orders.next();
  orders.sent(ip);
  appendAlerts(n.alerts, [alert('100003', '001', ip, alertN)]);
}

/** The end of a node's output; the whole uncaught error when the node died of one (exit 1). */
function tailOf(n: NodeProc): string {
  return n.output().slice(n.child.exitCode === 1 ? -4000 : -600);
}

/**
 * Waits until every agent ran the orders sent since the last call, then checks that none ran an
 * order twice or one never sent (SentOrders.allDelivered).
 */
function allDelivered(what: string, timeoutMs: number): Promise<void> {
  return orders.allDelivered(agents, what, timeoutMs, () =>
    nodes
      .map((n) => `node ${n.name} (exit ${String(n.child.exitCode ?? n.child.signalCode)}): ${tailOf(n)}`)
      .join(' | '),
  );
}

before(async () => {
  writeFileSync(conf, THREE_NODES_CONFIG);
  pg = await startPgServer();
  for (const name of ['a', 'b', 'c']) {
    nodes.push(await startNode(name, pg.url));
  }
  const password = path.join(nodeAt(0).home, 'etc', 'authd.pass');
  agents = enrollThree({ root, ports: nodes.map((n) => n.port), passwordFile: () => password });
  await startOnTheirNodes(agents, {
    start: (home) => startAgent(home),
    nodeHome: (i) => nodeAt(i).home,
    nodeName: (i) => String(i),
    apiNode: nodeAt(0),
    timeoutMs: 20_000,
  });
});

after(async () => {
  for (const a of agents) {
    await a.proc?.stop();
  }
  for (const n of nodes) {
    if (n.child.exitCode === null && n.child.signalCode === null) {
      const exited = new Promise((r) => n.child.once('exit', r));
      n.child.kill('SIGTERM');
      await exited;
    }
  }
  await pg?.stop();
  removeDir(root);
});

test('kill -9 of a node while orders flow: each order runs once, its agent moves within 10 s', async (t) => {
  const [a, b, c] = [nodeAt(0), nodeAt(1), nodeAt(2)];
  const bAgent = agents[1];
  assert.ok(bAgent);
  for (let i = 0; i < 10; i += 1) {
    sendAlert(i % 2 === 0 ? a : c);
  }
  // Mid-flow: B holds agent 1 and has orders in flight for it.
  await waitFor('first orders on the agent of B', 20_000, () => marks(bAgent.home).length > 0 || undefined);
  const before = connects(a.home, bAgent.id) + connects(c.home, bAgent.id);
  const killedAt = Date.now();
  b.child.kill('SIGKILL');
  for (let i = 0; i < 10; i += 1) {
    sendAlert(i % 2 === 0 ? a : c);
  }
  await waitFor(
    'agent of B on another node',
    10_000,
    () => connects(a.home, bAgent.id) + connects(c.home, bAgent.id) > before || undefined,
  );
  const failoverMs = Date.now() - killedAt;
  assert.ok(failoverMs < 10_000, `failover took ${failoverMs} ms`);
  t.diagnostic(`failover: ${failoverMs} ms`);
  await allDelivered('every order of the flow on every agent', 60_000);
});

test('PostgreSQL restarted while idle: a new order reaches its agents', async () => {
  assert.ok(pg);
  pg.restart();
  sendAlert(nodeAt(0));
  sendAlert(nodeAt(2));
  await allDelivered('orders after the idle restart', 60_000);
});

test('PostgreSQL restarted while alerts flow: every order still runs once', async () => {
  const server = pg;
  assert.ok(server);
  for (let i = 0; i < 10; i += 1) {
    sendAlert(i % 2 === 0 ? nodeAt(0) : nodeAt(2));
  }
  server.restart();
  for (let i = 0; i < 10; i += 1) {
    sendAlert(i % 2 === 0 ? nodeAt(0) : nodeAt(2));
  }
  await allDelivered('orders around the busy restart', 90_000);
});
