/**
 * The order bus between manager nodes, PostgreSQL LISTEN/NOTIFY against NATS JetStream
 * (src/cluster/). Measures a part: two bus instances (node A publishes, node B receives) in this
 * process, each over its own connection to a private PostgreSQL / nats-server -js on loopback;
 * no manager, store or agent involved (the three-node rows are in cluster-nodes.ts).
 *
 * - hand-off latency: one order published, the next only once B received it; p50/p99 over 300;
 * - throughput: 20,000 orders with a 600-byte payload published as four 5,000-order calls (what a
 *   `location=all` fan-out to 5,000 agents hands over) until B received all: orders/s.
 * NATS rows carry the PostgreSQL figure as baseline (ratio = NATS / PostgreSQL).
 */
import type { BenchModule, BenchReport } from './bench-types.js';
import type { BusOrder, OrderBus } from '../src/cluster/order-bus.js';
import { createPgNotifyBus } from '../src/cluster/pg-notify-bus.js';
import { createNatsBus } from '../src/cluster/nats-bus.js';
import { BusSeal, newBusKey } from '../src/cluster/bus-seal.js';
import { startNatsServer } from '../test/support/nats-server.js';
import { benchPostgres } from './bench-postgres.js';

/** The nodes' shared bus key, as a cluster's (src/cluster/bus-seal.ts). */
const seal = new BusSeal(newBusKey());
const LATENCY_N = 300;
const FANOUT = 5_000;
const CALLS = 4;

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

interface Pair {
  readonly a: OrderBus;
  readonly b: OrderBus;
  /** Resolves when B has received `n` more orders. */
  received(n: number): Promise<void>;
}

async function pair(make: () => OrderBus): Promise<Pair> {
  let count = 0;
  let waiter: { target: number; resolve: () => void } | undefined;
  const a = make();
  const b = make();
  await a.start({ onOrders: () => undefined, onResync: () => undefined });
  await b.start({
    onOrders: (orders) => {
      count += orders.length;
      if (waiter !== undefined && count >= waiter.target) {
        const w = waiter;
        waiter = undefined;
        w.resolve();
      }
    },
    onResync: () => undefined,
  });
  return {
    a,
    b,
    received: (n) =>
      new Promise((resolve) => {
        const target = count + n;
        if (count >= target) {
          resolve();
          return;
        }
        waiter = { target, resolve };
      }),
  };
}

function order(agent: number, seq: number): BusOrder {
  const payload = JSON.stringify({
    version: 1,
    origin: { name: 'node01', module: 'wazuh-analysisd' },
    command: 'add',
    parameters: {
      extra_args: [],
      alert: { rule: { id: '5763', level: 10 }, data: { srcip: `198.51.${agent % 250}.${seq % 250}` } },
      program: 'active-response/bin/firewall-drop',
    },
  }).padEnd(600, ' ');
  return { agentId: String(agent).padStart(4, '0'), seq, kind: 'add', payload };
}

async function measure(make: () => OrderBus): Promise<{ p50: number; p99: number; perSec: number }> {
  const p = await pair(make);
  try {
    // Warm-up (connections, JetStream consumer).
    for (let i = 0; i < 20; i++) {
      const got = p.received(1);
      p.a.publish([order(1, i)]);
      await got;
    }
    const lat: number[] = [];
    for (let i = 0; i < LATENCY_N; i++) {
      const got = p.received(1);
      const t0 = performance.now();
      p.a.publish([order(1, i)]);
      await got;
      lat.push(performance.now() - t0);
    }
    lat.sort((x, y) => x - y);
    const all = p.received(FANOUT * CALLS);
    const t0 = performance.now();
    for (let c = 0; c < CALLS; c++) {
      p.a.publish(Array.from({ length: FANOUT }, (_, i) => order(i, c + 1)));
    }
    await all;
    const secs = (performance.now() - t0) / 1000;
    return { p50: pct(lat, 50), p99: pct(lat, 99), perSec: (FANOUT * CALLS) / secs };
  } finally {
    await p.a.close();
    await p.b.close();
  }
}

export const clusterBus: BenchModule = {
  name: 'cluster-bus',
  async run(): Promise<BenchReport[]> {
    const pgServer = await benchPostgres();
    const nats = await startNatsServer();
    try {
      const pgr = await measure(() => createPgNotifyBus({ connectionString: pgServer.url, seal }));
      const nr = await measure(() => createNatsBus({ servers: nats.url, seal }));
      const part = 'part: two bus instances in one process, loopback';
      return [
        {
          name: 'bus hand-off p50 (PostgreSQL NOTIFY)',
          value: pgr.p50,
          unit: 'ms',
          lowerIsBetter: true,
          note: part,
        },
        {
          name: 'bus hand-off p99 (PostgreSQL NOTIFY)',
          value: pgr.p99,
          unit: 'ms',
          lowerIsBetter: true,
          note: part,
        },
        { name: 'bus throughput (PostgreSQL NOTIFY)', value: pgr.perSec, unit: 'orders/s', note: part },
        {
          name: 'bus hand-off p50 (NATS JetStream)',
          value: nr.p50,
          unit: 'ms',
          baseline: pgr.p50,
          ratio: nr.p50 / pgr.p50,
          lowerIsBetter: true,
          note: part,
        },
        {
          name: 'bus hand-off p99 (NATS JetStream)',
          value: nr.p99,
          unit: 'ms',
          baseline: pgr.p99,
          ratio: nr.p99 / pgr.p99,
          lowerIsBetter: true,
          note: part,
        },
        {
          name: 'bus throughput (NATS JetStream)',
          value: nr.perSec,
          unit: 'orders/s',
          baseline: pgr.perSec,
          ratio: nr.perSec / pgr.perSec,
          note: part,
        },
      ];
    } finally {
      await nats.stop();
      await pgServer.stop();
    }
  },
};
