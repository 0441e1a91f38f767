/**
 * The `idle` phase of bench/cluster-nodes.ts, entered where users enter (the nodes' HTTPS API):
 * with every agent linked and nothing else to do, each node is asked `GET /healthz` (answered by
 * its event loop alone, no store read) every 20 ms for 12 s, one request at a time over one
 * kept-alive connection per node. The window holds at least one full heartbeat period (10 s) of
 * every node, so an event loop held by the node's own work (its heartbeat pinging its ~1,666
 * links) shows as a slow answer. Rows: the slowest answer and the 99th percentile, against the
 * median answer of the same series (the baseline: a node with nothing in its way).
 */
import { Agent, request } from 'node:https';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchReport } from './bench-types.js';
import type { Fleet, Node } from './cluster-fleet.js';

const WINDOW_MS = 12_000;
const EVERY_MS = 20;

function healthz(agent: Agent, f: Fleet, node: Node): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: node.port,
        path: '/healthz',
        agent,
        ca: f.ca,
        checkServerIdentity: () => undefined,
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) {
            resolve();
          } else {
            reject(new Error(`GET /healthz: HTTP ${res.statusCode ?? 0}`));
          }
        });
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('GET /healthz: no answer in 10 s')));
    req.on('error', reject);
    req.end();
  });
}

/** One node's answer times (ms) over the window. */
async function probe(f: Fleet, node: Node): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  try {
    await healthz(agent, f, node); // the connection's handshake, not measured
    const end = performance.now() + WINDOW_MS;
    while (performance.now() < end) {
      const t0 = performance.now();
      await healthz(agent, f, node);
      const took = performance.now() - t0;
      times.push(took);
      await sleep(Math.max(0, EVERY_MS - took));
    }
  } finally {
    agent.destroy();
  }
  return times;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

export async function idleAnswers(f: Fleet): Promise<BenchReport[]> {
  const perNode = await Promise.all(f.nodes.map((n) => probe(f, n)));
  const all = perNode.flat().sort((a, b) => a - b);
  const p50 = quantile(all, 0.5);
  const slowest = perNode.map((t) => Math.max(...t).toFixed(1)).join(' / ');
  const note =
    `${all.length} answers from ${f.nodes.length} nodes in ${WINDOW_MS / 1000} s (one every ${EVERY_MS} ms per node, ` +
    `each its own kept-alive connection); slowest per node ${slowest} ms; baseline: the median answer, ${p50.toFixed(1)} ms`;
  const row = (what: string, value: number): BenchReport => ({
    name: `GET /healthz on idle nodes, every agent linked: ${what}`,
    value,
    unit: 'ms',
    baseline: p50,
    ratio: value / p50,
    lowerIsBetter: true,
    note,
  });
  return [row('slowest answer', all.at(-1) ?? NaN), row('99th percentile', quantile(all, 0.99))];
}
