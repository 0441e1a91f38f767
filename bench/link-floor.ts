/**
 * The baseline of the cluster ingest rows (cluster-nodes.ts), measured in the same run: what this
 * machine does with the link's traffic ALONE. Three server processes (the nodes' places) and four
 * client processes (the simulated agents' places) hold `agents` mutual-TLS WebSockets (ws, as the
 * link); per order one frame of the ingest's order-frame size goes to an agent and one ack comes
 * back. A server sends 500 orders in one turn (a POST's), and the next 500 as soon as every agent
 * would still have at most one order not acked (in the ingest an agent gets one order in 5,000;
 * a node's sends never wait for acks); a client acks what one turn brought with one frame (the
 * real agent's settle step). No Riposte code runs (link-floor-peer.ts): no store, no matching, no
 * bus. A cluster ingest rate divided by this rate says how much of the machine's bare link
 * capacity the cluster reaches: a figure less tied to the machine's speed than alerts/s.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createCa, issueCert } from '../src/pki/pki.js';
import { sampleCpu, type CpuGroups } from './cluster-cpu.js';
import { untilAlive, type Child } from './cluster-fleet.js';

const PEER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'link-floor-peer.js');
const SERVERS = 3;
const CLIENTS = 4;
/**
 * Bytes of one order frame: the ingest's order frames are 357-361 bytes (their TLS records of
 * 380-384 bytes, counted with `perf` on the nodes' writes, less 23 bytes of record overhead).
 */
const FRAME_BYTES = 360;

export interface LinkFloor {
  /** Orders per second of each round (the first is cold: its code paths are compiled meanwhile). */
  readonly rates: readonly number[];
  /** The best round's rate: the baseline. */
  readonly best: number;
  /** The best round's CPU: servers' and clients' µs per order (and their system part), wall time. */
  readonly note: string;
}

function launch(arg: object): Child {
  const proc = spawn(process.execPath, [PEER, JSON.stringify(arg)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const p: Child = { proc, out: '' };
  proc.stdout?.on('data', (d: Buffer) => (p.out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (p.out += d.toString()));
  return p;
}

/** The first line `peer` printed after its first `from` characters that matches `re`. */
function lineOf(peer: Child, re: RegExp, from: number): string | undefined {
  return peer.out
    .slice(from)
    .split('\n')
    .find((l) => re.test(l));
}

/** Waits (cluster-fleet's untilAlive: failing if the peer exits) for a line of `peer` matching `re`. */
async function line(peer: Child, re: RegExp, timeoutMs: number, from = 0): Promise<string> {
  await untilAlive(
    `link floor: ${String(re)}`,
    timeoutMs,
    [peer],
    () => lineOf(peer, re, from) !== undefined,
  );
  return lineOf(peer, re, from) ?? '';
}

/** Runs `rounds` rounds of `total` orders over `agents` connections; every process is gone after. */
export async function linkFloor(opts: { agents: number; total: number; rounds: number }): Promise<LinkFloor> {
  const now = Date.now();
  const ca = await createCa(now);
  const server = await issueCert(
    ca,
    { cn: 'riposte-manager', usage: 'server', dnsNames: ['127.0.0.1'] },
    now,
  );
  const client = await issueCert(ca, { cn: 'floor', usage: 'client' }, now);
  const peers: Child[] = [];
  try {
    const servers = Array.from({ length: SERVERS }, () =>
      launch({ role: 'server', ...server, ca: ca.cert, frameBytes: FRAME_BYTES }),
    );
    peers.push(...servers);
    const ports = await Promise.all(
      servers.map(async (s) => Number((await line(s, /^port \d+$/, 30_000)).split(' ')[1])),
    );
    const per = Math.ceil(opts.agents / CLIENTS);
    const clients = Array.from({ length: CLIENTS }, (_, i) =>
      launch({ role: 'clients', ports, count: Math.min(per, opts.agents - i * per), ...client, ca: ca.cert }),
    );
    peers.push(...clients);
    await Promise.all(clients.map((c) => line(c, /^open$/, 300_000)));
    const groups: CpuGroups = {
      nodes: servers.map((s) => s.proc.pid),
      workers: clients.map((c) => c.proc.pid),
      postmaster: undefined,
    };
    const rates: number[] = [];
    let best = { rate: 0, note: '' };
    for (let r = 0; r < opts.rounds; r++) {
      const marks = servers.map((s) => s.out.length);
      const before = sampleCpu(groups);
      const t0 = performance.now();
      for (const s of servers) {
        s.proc.stdin?.write(`send ${Math.round(opts.total / SERVERS)}\n`);
      }
      await Promise.all(servers.map((s, i) => line(s, /^done$/, 120_000, marks[i])));
      const rate = (SERVERS * Math.round(opts.total / SERVERS)) / ((performance.now() - t0) / 1000);
      const after = sampleCpu(groups);
      rates.push(rate);
      if (rate > best.rate) {
        const us = (cpu: number): string => `${((cpu * 1e6) / opts.total).toFixed(0)} µs/order`;
        const serversCpu = after.nodes.reduce((sum, x, i) => sum + x - (before.nodes[i] ?? 0), 0);
        const clientsCpu = after.workers - before.workers;
        best = {
          rate,
          note:
            `servers ${us(serversCpu)} (system ${us(after.sys.nodes - before.sys.nodes)}), ` +
            `clients ${us(clientsCpu)} (system ${us(after.sys.workers - before.sys.workers)}); ` +
            `${(serversCpu + clientsCpu).toFixed(1)} CPU s in ${((after.at - before.at) / 1000).toFixed(1)} s wall ` +
            `(${os.availableParallelism()} cores)`,
        };
      }
    }
    return { rates, best: best.rate, note: best.note };
  } finally {
    await Promise.all(
      peers.map(async (p) => {
        if (p.proc.exitCode === null && p.proc.signalCode === null) {
          const gone = new Promise((r) => p.proc.once('exit', r));
          p.proc.kill('SIGKILL');
          await gone;
        }
      }),
    );
  }
}
