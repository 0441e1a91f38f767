/**
 * The processes of the three-node benchmark (bench/cluster-nodes.ts): a private PostgreSQL 15
 * (bench-postgres.ts), optionally a private nats-server -js, NODES real `riposte manager --store
 * postgres://... --bus ...` processes (the built CLI, REST API on, `--no-local-agent`) on
 * 127.0.0.1, and worker processes of simulated agents (cluster-agents-worker.ts). Everything is
 * torn down on any exit: `stop()` in the normal path, and an exit hook (SIGKILL to every child,
 * PostgreSQL stopped, temp dirs removed) if the bench process ends otherwise; SIGINT/SIGTERM are
 * turned into an exit so that hook runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchPostgres, type BenchPostgres } from './bench-postgres.js';
import type { NatsServer } from '../test/support/nats-server.js';
import { startBenchNats } from './bench-nats.js';
import { describeCpu, postmasterOf, sampleCpu, type CpuGroups } from './cluster-cpu.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/bench/ -> dist/src/cli/main.js. */
const MAIN = path.resolve(here, '..', 'src', 'cli', 'main.js');
const WORKER = path.resolve(here, 'cluster-agents-worker.js');

/** Rule 100003: one order per agent (`all`); rule 100004: one order for the alert's agent. */
const CONFIG = `<ossec_config>
  <command><name>mark</name><executable>mark</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>mark</command><location>all</location><rules_id>100003</rules_id><timeout>600</timeout></active-response>
  <active-response><command>mark</command><location>local</location><rules_id>100004</rules_id><timeout>600</timeout></active-response>
</ossec_config>
`;

export interface Child {
  readonly proc: ChildProcess;
  out: string;
}

export interface Node {
  readonly child: Child;
  readonly home: string;
  readonly port: number;
  readonly token: string;
}

export interface Fleet {
  readonly pgUrl: string;
  readonly nodes: Node[];
  readonly workers: Child[];
  readonly ca: string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
const cleanups = new Set<() => void>();
process.on('exit', () => {
  for (const p of live) {
    p.kill('SIGKILL');
  }
  for (const c of cleanups) {
    c();
  }
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => process.exit(130));
}

function launch(
  args: readonly string[],
  stderr: 'inherit' | 'pipe' = 'pipe',
  env: Readonly<Record<string, string>> = {},
): Child {
  const nodeArgs = (process.env['RIPOSTE_BENCH_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  const proc = spawn(process.execPath, [...nodeArgs, ...args], {
    stdio: ['pipe', 'pipe', stderr],
    env: { ...process.env, ...env },
  });
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  const c: Child = { proc, out: '' };
  proc.stdout?.on('data', (d: Buffer) => (c.out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (c.out += d.toString()));
  return c;
}

let runDeadline = Infinity;

/** Every wait after `at` (epoch ms) fails: bounds the whole benchmark run. */
export function setDeadline(at: number): void {
  runDeadline = at;
}

/** Polls `ok` every 5 ms. @throws when `timeoutMs` (or the run's deadline) passes first */
export async function until(what: string, timeoutMs: number, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    }
    if (Date.now() > runDeadline) {
      throw new Error(`run deadline passed while waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

function exited(c: Child): boolean {
  return c.proc.exitCode !== null || c.proc.signalCode !== null;
}

/** Waits for `ok`, failing at once if one of `watched` exits. */
export async function untilAlive(
  what: string,
  timeoutMs: number,
  watched: readonly Child[],
  ok: () => boolean,
): Promise<void> {
  await until(what, timeoutMs, () => {
    const dead = watched.find(exited);
    if (dead !== undefined) {
      throw new Error(`a process exited while waiting for ${what}: ${dead.out.slice(-400)}`);
    }
    return ok();
  });
}

/**
 * Starts node `i`. API tokens live in the shared store, and only the node that found no admin token
 * there (node 0, started first) writes `var/admin.token`: the others are given node 0's token.
 */
async function startNode(
  root: string,
  i: number,
  { store, bus, env }: { store: string; bus: string; env: Readonly<Record<string, string>> },
  sharedToken?: string,
): Promise<Node> {
  const home = path.join(root, `node${i}`);
  mkdirSync(home, { recursive: true });
  const conf = path.join(home, 'ossec.conf');
  writeFileSync(conf, CONFIG);
  const args = ['manager', '-c', conf, '--home', home, '--listen', '127.0.0.1:0', '--log-level', 'warn'];
  const child = launch([MAIN, ...args, '--no-local-agent', '--store', store, '--bus', bus], 'pipe', env);
  await untilAlive(`manager node ${i}`, 60_000, [child], () =>
    /listening on https:\/\/127\.0\.0\.1:\d+/.test(child.out),
  );
  const port = Number(/listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(child.out)?.[1]);
  const token = sharedToken ?? readFileSync(path.join(home, 'var', 'admin.token'), 'utf8').trim();
  return { child, home, port, token };
}

export interface FleetOptions {
  readonly nodes: number;
  readonly agents: number;
  readonly workers: number;
  readonly bus: 'postgres' | 'nats';
  readonly log: (text: string) => void;
}

/** Starts PostgreSQL (+ NATS), the nodes (node 0 first: it publishes the CA), and the agents. */
export async function startFleet(o: FleetOptions): Promise<Fleet> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'riposte-cluster-bench-'));
  const removeRoot = (): void => {
    rmSync(root, { recursive: true, force: true });
  };
  cleanups.add(removeRoot);
  const nodes: Node[] = [];
  const workers: Child[] = [];
  let pg: BenchPostgres | undefined;
  let nats: NatsServer | undefined;
  const stopSync = (): void => {
    void pg?.stop();
  };
  cleanups.add(stopSync);
  const stop = async (): Promise<void> => {
    // stdin's end makes a worker exit (so a --cpu-prof profile of it is written); SIGKILL after 3 s.
    await Promise.all(
      workers.map(async (w) => {
        if (!exited(w)) {
          const gone = new Promise((r) => w.proc.once('exit', r));
          w.proc.stdin?.end();
          const t = setTimeout(() => w.proc.kill('SIGKILL'), 3_000);
          await gone;
          clearTimeout(t);
        }
      }),
    );
    await Promise.all(
      nodes.map(async (n) => {
        if (!exited(n.child)) {
          const gone = new Promise((r) => n.child.proc.once('exit', r));
          n.child.proc.kill('SIGTERM');
          const t = setTimeout(() => n.child.proc.kill('SIGKILL'), 10_000);
          await gone;
          clearTimeout(t);
        }
      }),
    );
    await nats?.stop();
    await pg?.stop();
    cleanups.delete(stopSync);
    removeRoot();
    cleanups.delete(removeRoot);
  };
  try {
    pg = await benchPostgres();
    let bus = 'postgres';
    let env = {};
    if (o.bus === 'nats') {
      const started = await startBenchNats(path.join(root, 'nats-pki'));
      ({ server: nats, bus, env } = started);
    }
    const t0 = Date.now();
    const first = await startNode(root, 0, { store: pg.url, bus, env });
    nodes.push(first);
    const pgUrl = pg.url;
    nodes.push(
      ...(await Promise.all(
        Array.from({ length: o.nodes - 1 }, (_, i) =>
          startNode(root, i + 1, { store: pgUrl, bus, env }, first.token),
        ),
      )),
    );
    o.log(`${o.nodes} nodes up in ${Date.now() - t0} ms`);
    const home0 = nodes[0]?.home ?? '';
    const ca = readFileSync(path.join(home0, 'etc', 'pki', 'ca.pem'), 'utf8');
    const password = readFileSync(path.join(home0, 'etc', 'authd.pass'), 'utf8').trim();
    const per = Math.ceil(o.agents / o.workers);
    for (let w = 0, first = 0; first < o.agents; w++, first += per) {
      const count = Math.min(per, o.agents - first);
      const a = {
        enrollPort: nodes[w % nodes.length]?.port,
        ports: nodes.map((n) => n.port),
        password,
        ca,
        count,
        first,
        prefix: `bench-${w}`,
      };
      workers.push(launch([WORKER, JSON.stringify(a)], 'inherit'));
    }
    const t1 = Date.now();
    const all = [...workers, ...nodes.map((n) => n.child)];
    const groups: CpuGroups = {
      nodes: nodes.map((n) => n.child.proc.pid),
      workers: workers.map((w) => w.proc.pid),
      postmaster: postmasterOf(Number(new URL(pgUrl).port)),
    };
    const c1 = sampleCpu(groups);
    await untilAlive('enrollment', 600_000, all, () => workers.every((w) => w.out.includes('enrolled\n')));
    const c2 = sampleCpu(groups);
    o.log(
      `${o.agents} agents enrolled (each worker through its own node) in ${Date.now() - t1} ms; ${describeCpu(c1, c2, os.availableParallelism())}`,
    );
    const t2 = Date.now();
    await untilAlive('agents connected', 300_000, all, () =>
      workers.every((w) => w.out.includes('connected ')),
    );
    o.log(
      `${o.agents} agents connected in ${Date.now() - t2} ms; ${describeCpu(c2, sampleCpu(groups), os.availableParallelism())}`,
    );
    return { pgUrl, nodes, workers, ca, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The agent ids of each worker, from its "connected IDS" line. */
export function agentIds(f: Fleet): string[] {
  return f.workers.flatMap((w) => JSON.parse(/connected (.*)\n/.exec(w.out)?.[1] ?? '[]') as string[]);
}

/** One request to a node's REST API (HTTPS, pinned to the fleet's CA, the node's token). */
export interface NodeRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly contentType?: string;
  readonly body?: string;
  /** No answer within this: the request fails. */
  readonly timeoutMs: number;
}

/** Sends `r` to `node`; resolves with the answer's text on 200/202, rejects on any other status. */
export function nodeRequest(f: Fleet, node: Node, r: NodeRequest): Promise<string> {
  const what = `${r.method} ${r.path}`;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: node.port,
        method: r.method,
        path: r.path,
        ca: f.ca,
        checkServerIdentity: () => undefined,
        headers: {
          ...(r.contentType !== undefined ? { 'content-type': r.contentType } : {}),
          authorization: `Bearer ${node.token}`,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          if (res.statusCode === 202 || res.statusCode === 200) {
            resolve(text);
          } else {
            reject(new Error(`${what}: HTTP ${res.statusCode ?? 0} ${text.slice(0, 200)}`));
          }
        });
      },
    );
    req.setTimeout(r.timeoutMs, () =>
      req.destroy(new Error(`${what}: no answer in ${r.timeoutMs / 1000} s`)),
    );
    req.on('error', reject);
    req.end(r.body);
  });
}

/** POST /alerts of one node (NDJSON when several lines); resolves on 202/200. */
export async function postAlerts(f: Fleet, node: Node, lines: readonly string[]): Promise<void> {
  const ndjson = lines.length > 1;
  await nodeRequest(f, node, {
    method: 'POST',
    path: '/alerts',
    contentType: ndjson ? 'application/x-ndjson' : 'application/json',
    body: ndjson ? `${lines.join('\n')}\n` : (lines[0] ?? ''),
    timeoutMs: 120_000,
  });
}
