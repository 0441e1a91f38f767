/**
 * Issue #11 with the REAL commands, as a user runs them, on loopback only: one private PostgreSQL
 * (pg-server.ts; fails clearly when it cannot start), three `riposte manager --store postgres://...
 * --bus postgres --no-local-agent` nodes, and three `riposte agent` daemons enrolled with
 * `riposte agent enroll --manager A,B,C --password-file ... --ca-fingerprint ...` (each agent lists
 * the nodes in a different order, so each starts on a different node), running the harmless `mark`
 * fixture (a node script). Alerts (rule 100003, location all: one order per agent) are POSTed to
 * nodes A and C over HTTPS with their admin tokens; node B is killed with SIGKILL while they flow:
 * every order runs exactly once on every agent (one "add IP" mark per alert) and B's agent is
 * connected to another node within 10 s (from the kill to the "Agent X connected" line of A or C).
 * Before the kill, each node's /metrics shows the order bus's routes: every node knows the nodes of
 * the two agents it does not hold, and orders were routed to B alone.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  alert,
  api,
  makeDir,
  marks,
  removeDir,
  startManager,
  waitFor,
  type ManagerProc,
  type Proc,
} from '../manager/support/fleet.js';
import { startAgentDaemon } from './support/agent-daemon.js';
import { startPgServer, type PgServer } from './support/pg-server.js';
import {
  SentOrders,
  THREE_NODES_CONFIG,
  enrollThree,
  logOf,
  connects as connectsAt,
  startOnTheirNodes,
  type ClusterAgent,
} from './support/three-nodes.js';
import { errorMessage } from '../../src/protocol/error-message.js';
import { promSample } from '../support/prom-sample.js';

interface Node {
  readonly name: string;
  readonly m: ManagerProc;
}

const root = makeDir('three-nodes-cli');
const conf = path.join(root, 'ossec.conf');
let pg: PgServer | undefined;
const nodes: Node[] = [];
let agents: ClusterAgent[] = [];
const orders = new SentOrders();

/** Sends `signal`, then SIGKILL if the process is still there after 15 s; resolves once it exited. */
async function stopProc(p: Proc, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const exited = p.stop(signal);
  const timer = setTimeout(() => {
    p.child.kill('SIGKILL');
  }, 15_000);
  await exited;
  clearTimeout(timer);
}

/** How many times node `n`'s log says agent `id` connected. */
function connects(n: Node, id: string): number {
  return connectsAt(n.m.home, id);
}

function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** The nodes' and agents' output and log tails, for a failed assertion's message. */
function tails(): string {
  const parts: string[] = [];
  for (const n of nodes) {
    const state = n.m.child.exitCode ?? n.m.child.signalCode ?? 'running';
    parts.push(`--- node ${n.name} (${String(state)}) output:\n${tail(n.m.output())}`);
    parts.push(`--- node ${n.name} riposte.log:\n${tail(logOf(n.m.home))}`);
  }
  for (const a of agents) {
    parts.push(`--- agent ${a.id} output:\n${tail(a.proc?.output() ?? '(not started)')}`);
    parts.push(`--- agent ${a.id} riposte.log:\n${tail(logOf(a.home))}`);
    const logs = path.join(a.home, 'logs');
    if (existsSync(logs) && readdirSync(logs).includes('active-responses.log')) {
      parts.push(
        `--- agent ${a.id} active-responses.log:\n${tail(readFileSync(path.join(logs, 'active-responses.log'), 'utf8'), 5)}`,
      );
    }
  }
  return parts.join('\n');
}

/** Runs `f`; a failure carries the processes' log tails. */
async function withTails<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err: unknown) {
    const message = errorMessage(err);
    throw new Error(`${message}\n${tails()}`, { cause: err });
  }
}

function nodeAt(i: number): Node {
  const n = nodes[i];
  assert.ok(n);
  return n;
}

/** POSTs one rule-100003 alert with a fresh source address to node `n`'s REST API. */
async function sendAlert(n: Node): Promise<void> {
  const { ip, n: alertN } = orders.next();
  // API tokens live in the shared store: the first node's admin token (and the shared CA) work on
  // every node; only the first node writes var/admin.token.
  const first = nodeAt(0).m;
  const r = await api(
    { port: n.m.port, home: first.home },
    'POST',
    '/alerts',
    alert('100003', '001', ip, alertN),
  );
  const body = r.body as { accepted?: number; orders?: number } | undefined;
  assert.ok(
    r.status === 202 && body?.accepted === 1 && body.orders === 3,
    `POST /alerts to node ${n.name}: ${r.status} ${JSON.stringify(r.body)} (want 202, one order per agent)`,
  );
  orders.sent(ip);
}

/** One sample of node `n`'s `GET /metrics` (its admin API, as a Prometheus server reads it). */
async function metric(n: Node, name: string): Promise<number> {
  const r = await api({ port: n.m.port, home: nodeAt(0).m.home }, 'GET', '/metrics');
  const value = typeof r.body === 'string' ? promSample(r.body, name) : undefined;
  assert.ok(
    r.status === 200 && value !== undefined,
    `GET /metrics of node ${n.name}: ${r.status}, no ${name}`,
  );
  return value;
}

/**
 * Waits until every agent ran the orders sent since the last call, then checks that none ran an
 * order twice or one never sent (SentOrders.allDelivered).
 */
function allDelivered(what: string, timeoutMs: number): Promise<void> {
  return orders.allDelivered(agents, what, timeoutMs);
}

before(async () => {
  writeFileSync(conf, THREE_NODES_CONFIG);
  pg = await startPgServer();
  const flags = ['--store', pg.url, '--bus', 'postgres', '--no-local-agent'];
  await withTails(async () => {
    for (const name of ['a', 'b', 'c']) {
      // startManager: `riposte manager -c CONF --home HOME --listen 127.0.0.1:0 ...flags`.
      nodes.push({ name, m: await startManager(path.join(root, `node-${name}`), conf, flags) });
    }
    const caFingerprint = (i: number): string =>
      readFileSync(path.join(nodeAt(i).m.home, 'etc', 'pki', 'ca.fingerprint'), 'utf8').trim();
    agents = enrollThree({
      root,
      ports: nodes.map((n) => n.m.port),
      passwordFile: (i) => path.join(nodeAt(i).m.home, 'etc', 'authd.pass'),
      caFingerprint,
      timeoutMs: 60_000,
    });
    await startOnTheirNodes(agents, {
      start: startAgentDaemon,
      nodeHome: (i) => nodeAt(i).m.home,
      nodeName: (i) => nodeAt(i).name,
      apiNode: nodeAt(0).m,
      timeoutMs: 30_000,
    });
  });
});

after(async () => {
  await Promise.all(agents.map(async (a) => (a.proc ? stopProc(a.proc) : undefined)));
  await Promise.all(nodes.map(async (n) => stopProc(n.m)));
  await pg?.stop();
  removeDir(root);
});

test('kill -9 of a node while alerts flow (real CLI): each order runs once, its agent moves within 10 s', async (t) => {
  await withTails(async () => {
    const [a, b, c] = [nodeAt(0), nodeAt(1), nodeAt(2)];
    const bAgent = agents[1];
    // API tokens are shared: the first node wrote the first admin token, the others say where it is.
    assert.match(a.m.output(), /admin API token file: \/.*\/node-a\/var\/admin\.token/);
    for (const other of [b, c]) {
      assert.match(
        other.m.output(),
        /admin API token file: none in this home .*the first node's var\/admin\.token/,
      );
    }
    assert.ok(bAgent);
    for (let i = 0; i < 10; i += 1) {
      await sendAlert(i % 2 === 0 ? a : c);
    }
    // Mid-flow: B holds agent 1 and has had orders for it.
    await waitFor('first orders on the agent of B', 30_000, () => marks(bAgent.home).length > 0 || undefined);
    // The bus routes each order to the node holding its agent, learned from the agents' hellos:
    // every node knows where the two other agents are, and B got its agent's orders routed to it.
    for (const n of [a, b, c]) {
      await waitFor(`node ${n.name} knows the other two agents' nodes`, 10_000, async () =>
        (await metric(n, 'riposte_bus_routes')) === 2 ? true : undefined,
      );
    }
    assert.ok((await metric(b, 'riposte_bus_orders_received_total{to="node"}')) > 0, 'orders routed to B');
    const before = connects(a, bAgent.id) + connects(c, bAgent.id);
    const marksBefore = orders.ips.length;
    const killedAt = Date.now();
    b.m.child.kill('SIGKILL');
    // Alerts keep flowing through A and C (one every 100 ms) while B's agent fails over.
    const flow = (async () => {
      for (let i = 0; i < 20; i += 1) {
        await sendAlert(i % 2 === 0 ? a : c);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const moved = waitFor(
      'agent of B connected to another node',
      30_000,
      () => connects(a, bAgent.id) + connects(c, bAgent.id) > before || undefined,
    ).then(() => Date.now() - killedAt);
    // The first order stored after the kill, run by B's agent.
    const firstAfter = waitFor('an order sent after the kill on the agent of B', 30_000, () => {
      const ip = orders.ips[marksBefore];
      return (ip !== undefined && marks(bAgent.home).includes(`add ${ip}`)) || undefined;
    }).then(() => Date.now() - killedAt);
    const [movedMs, ranMs] = await Promise.all([moved, firstAfter, flow]);
    t.diagnostic(`failover: agent ${bAgent.id} connected to another node ${movedMs} ms after the kill`);
    t.diagnostic(`failover: first order sent after the kill ran on it ${ranMs} ms after the kill`);
    assert.ok(movedMs < 10_000, `agent of B connected to another node after ${movedMs} ms (limit 10 s)`);
    await allDelivered('every order of the flow on every agent', 90_000);
    assert.equal(orders.ips.length, 30);
  });
});
