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
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  MAIN,
  alert,
  appendAlerts,
  makeDir,
  marks,
  removeDir,
  startAgent,
  waitFor,
  type Proc,
} from '../manager/support/fleet.js';
import { startPgServer, type PgServer } from './support/pg-server.js';

const NODE_MAIN = path.resolve('dist/test/cluster/support/node-main.js');
const CONFIG = `<ossec_config>
  <command><name>mark</name><executable>mark</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>mark</command><location>all</location><rules_id>100003</rules_id><timeout>600</timeout></active-response>
</ossec_config>
`;

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
const agents: { id: string; home: string; proc?: Proc }[] = [];
let alertN = 0;
const sent: string[] = [];

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

/** How many times node `n`'s log says agent `id` connected. */
function connects(n: NodeProc, id: string): number {
  const file = path.join(n.home, 'logs', 'riposte.log');
  return existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.includes(`Agent ${id} connected`)).length
    : 0;
}

function nodeAt(i: number): NodeProc {
  const n = nodes[i];
  assert.ok(n);
  return n;
}

/** Appends one rule-100003 alert with a fresh source address to `n`'s alerts.json. */
function sendAlert(n: NodeProc): void {
  alertN += 1;
  const ip = `198.51.${Math.floor(alertN / 250)}.${(alertN % 250) + 1}`;
  sent.push(ip);
  appendAlerts(n.alerts, [alert('100003', '001', ip, alertN)]);
}

/** Waits until every agent ran every sent order, then checks each ran exactly once. */
async function allDelivered(what: string, timeoutMs: number): Promise<void> {
  const missing = (a: { home: string }): string[] => {
    const got = new Set(marks(a.home));
    return sent.filter((ip) => !got.has(`add ${ip}`));
  };
  await waitFor(what, timeoutMs, () => agents.every((a) => missing(a).length === 0) || undefined).catch(
    (e: unknown) => {
      const lacks = agents.map((a) => `agent ${a.id} lacks ${missing(a).length}`);
      const state = nodes.map(
        (n) =>
          `node ${n.name} (exit ${String(n.child.exitCode ?? n.child.signalCode)}): ${n.output().slice(-600)}`,
      );
      throw new Error(`${String(e)}; ${lacks.join(', ')}; ${state.join(' | ')}`);
    },
  );
  for (const a of agents) {
    const counts = new Map<string, number>();
    for (const l of marks(a.home)) {
      counts.set(l, (counts.get(l) ?? 0) + 1);
    }
    const twice = [...counts].filter(([, c]) => c > 1).map(([l, c]) => `${l} x${c}`);
    assert.deepEqual(twice, [], `agent ${a.id} ran an order more than once`);
    assert.equal(counts.size, sent.length, `agent ${a.id}: one mark per order`);
  }
}

before(async () => {
  writeFileSync(conf, CONFIG);
  pg = await startPgServer();
  for (const name of ['a', 'b', 'c']) {
    nodes.push(await startNode(name, pg.url));
  }
  const password = path.join(nodeAt(0).home, 'etc', 'authd.pass');
  for (let i = 0; i < 3; i += 1) {
    const home = path.join(root, `agent-${i}`);
    // Agent i lists node i first: the three agents start on three different nodes.
    const order = [0, 1, 2].map((k) => `127.0.0.1:${nodeAt((i + k) % 3).port}`).join(',');
    const r = spawnSync(
      process.execPath,
      [
        MAIN,
        'agent',
        'enroll',
        '--manager',
        order,
        '--name',
        `host-${i}`,
        '--home',
        home,
        '--password-file',
        password,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const { id } = JSON.parse(readFileSync(path.join(home, 'etc', 'pki', 'agent.json'), 'utf8')) as {
      id: string;
    };
    agents.push({ id, home });
  }
  for (const [i, a] of agents.entries()) {
    a.proc = await startAgent(a.home);
    await waitFor(`agent ${a.id} on node ${i}`, 20_000, () => connects(nodeAt(i), a.id) > 0 || undefined);
  }
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
  const before = connects(a, bAgent.id) + connects(c, bAgent.id);
  const killedAt = Date.now();
  b.child.kill('SIGKILL');
  for (let i = 0; i < 10; i += 1) {
    sendAlert(i % 2 === 0 ? a : c);
  }
  await waitFor(
    'agent of B on another node',
    10_000,
    () => connects(a, bAgent.id) + connects(c, bAgent.id) > before || undefined,
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
