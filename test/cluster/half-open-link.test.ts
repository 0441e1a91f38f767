/**
 * A half-open agent link in a cluster, with the REAL commands on loopback only: one private
 * PostgreSQL, two `riposte manager --store postgres://... --bus postgres` nodes A and B, and one
 * `riposte agent` enrolled with `--manager P,B`, where P is a TCP proxy to A (the agent's path to
 * A). The agent links to A through P; then P is severed (the agent's host lost for good: nothing
 * more passes, a close included, and new connections are refused), the agent is killed (-9) and
 * started again, as after a reboot: it links to B, while A still holds the old, half-open link.
 * B's announcement of the agent makes A probe that link; A drops it for the unanswered probe
 * (its log says so) long before its dead-peer limit, and an alert POSTed to A then runs on
 * the agent, through B, exactly once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
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
import { promSample } from '../support/prom-sample.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { startAgentDaemon } from './support/agent-daemon.js';
import { startPgServer, type PgServer } from './support/pg-server.js';
import {
  THREE_NODES_CONFIG,
  connects,
  enrollAgent,
  logOf,
  type ClusterAgent,
} from './support/three-nodes.js';

const root = makeDir('half-open-link');
const conf = path.join(root, 'ossec.conf');
let pg: PgServer | undefined;
let proxy: TcpProxy | undefined;
const managers: ManagerProc[] = [];
let agent: ClusterAgent | undefined;
const procs: Proc[] = [];

function node(i: 0 | 1): ManagerProc {
  const m = managers[i];
  assert.ok(m);
  return m;
}

/** A's and B's log tails and the agent's output, for a failed wait's message. */
function tails(): string {
  const tail = (text: string): string => text.trimEnd().split('\n').slice(-12).join('\n');
  return [
    `--- node A riposte.log:\n${tail(logOf(node(0).home))}`,
    `--- node B riposte.log:\n${tail(logOf(node(1).home))}`,
    `--- agent output:\n${tail(procs.at(-1)?.output() ?? '')}`,
  ].join('\n');
}

before(async () => {
  writeFileSync(conf, THREE_NODES_CONFIG);
  pg = await startPgServer();
  // A ping every 10 s (the most agents take; they redial after 30 s without one): a link is
  // dropped at its dead-peer limit 30-40 s after the cut, far from the probe's drop (the agent
  // back on B, then 5 s and at most one heartbeat).
  const flags = ['--store', pg.url, '--bus', 'postgres', '--no-local-agent', '--heartbeat', '10s'];
  for (const name of ['a', 'b']) {
    managers.push(await startManager(path.join(root, `node-${name}`), conf, flags));
  }
  proxy = await startTcpProxy(node(0).port);
  // Enrolled with A's own address (enrollment blocks this process, where the proxy runs), then
  // pointed at the proxy in its agent.json: its way to A goes through P.
  const direct = `127.0.0.1:${node(0).port}`;
  agent = enrollAgent({
    home: path.join(root, 'agent'),
    name: 'host-0',
    managers: `${direct},127.0.0.1:${node(1).port}`,
    passwordFile: path.join(node(0).home, 'etc', 'authd.pass'),
    caFingerprint: readFileSync(path.join(node(0).home, 'etc', 'pki', 'ca.fingerprint'), 'utf8').trim(),
    timeoutMs: 60_000,
  });
  const file = path.join(agent.home, 'etc', 'pki', 'agent.json');
  writeFileSync(file, readFileSync(file, 'utf8').replaceAll(direct, `127.0.0.1:${proxy.port}`));
});

after(async () => {
  for (const p of [...procs, ...managers]) {
    await p.stop('SIGKILL');
  }
  await proxy?.close();
  await pg?.stop();
  removeDir(root);
});

test('a half-open link left on A is dropped for its unanswered probe once the agent is on B', async (t) => {
  assert.ok(agent && proxy);
  const { id, home } = agent;
  const [a, b] = [node(0), node(1)];
  procs.push(await startAgentDaemon(home));
  await waitFor(`agent ${id} on A through the proxy`, 30_000, () => connects(a.home, id) > 0 || undefined);
  // A has its hello (a link not greeted yet takes no orders and is announced by no one): A
  // announced it, and B routes it to A.
  await waitFor(`B knowing agent ${id} is on A\n${tails()}`, 30_000, async () => {
    const r = await api({ port: b.port, home: a.home }, 'GET', '/metrics');
    return (typeof r.body === 'string' && promSample(r.body, 'riposte_bus_routes') === 1) || undefined;
  });

  proxy.sever();
  const severedAt = Date.now();
  await procs[0]?.stop('SIGKILL'); // its close never reaches A: A's link is half-open now
  procs.push(await startAgentDaemon(home)); // the proxy refuses it: it dials B, its next address
  await waitFor(`agent ${id} on B\n${tails()}`, 30_000, () => connects(b.home, id) > 0 || undefined);
  const onB = Date.now() - severedAt;

  // B announced the agent; A probed its own link and drops it for the missing pong, not at its
  // dead-peer limit (30 s without a pong, whose log line says "no pong or frame for").
  const probeLine = new RegExp(`Agent ${id}: link dropped \\(no pong or frame within \\d+ s of a probe\\)`);
  await waitFor(
    `A dropping the half-open link for its probe\n${tails()}`,
    30_000,
    () => probeLine.test(logOf(a.home)) || undefined,
  );
  const dropped = Date.now() - severedAt;
  t.diagnostic(`agent on B ${onB} ms after the sever; A dropped the half-open link ${dropped} ms after it`);
  assert.doesNotMatch(logOf(a.home), new RegExp(`Agent ${id}: link dropped \\(no pong or frame for`));

  // An alert stored on A now reaches the agent through B, once.
  const ip = '198.51.100.7';
  const r = await api({ port: a.port, home: a.home }, 'POST', '/alerts', alert('100003', id, ip, 1));
  assert.equal(r.status, 202, JSON.stringify(r.body));
  await waitFor(
    `the order on the agent\n${tails()}`,
    30_000,
    () => marks(home).includes(`add ${ip}`) || undefined,
  );
  assert.equal(marks(home).filter((m) => m === `add ${ip}`).length, 1);
});
