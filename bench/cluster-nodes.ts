/**
 * Issue #11's benchmarks: three manager nodes on this machine, entered where users enter. Real
 * `riposte manager --store postgres://... --bus postgres|nats://...` processes on one private
 * PostgreSQL 15 (and nats-server -js for the NATS module), 5,000 simulated agents
 * (`RIPOSTE_BENCH_N`) in worker processes, each enrolled through the real `POST /enroll` (worker w
 * through node w mod 3) and connected over its own mTLS WebSocket to its first node (agent i
 * starts on node i mod 3),
 * speaking the real link protocol (bench/cluster-agents-worker.ts). Set-up: bench/cluster-fleet.ts.
 *
 * 1. fan-out: ROUNDS alerts of a `location=all` rule, each POSTed (HTTPS `POST /alerts`) to the
 *    next node; per (round, agent): alert sent -> order arrived at the agent (the simulated agent
 *    acks on arrival); the storing node sends to its own agents and hands the others over the bus.
 * 2. ingest: ALERTS alerts (`RIPOSTE_BENCH_ALERTS`, one `location=local` order each, agents
 *    round-robin) POSTed as NDJSON bodies of 500 to the three nodes at once (2 requests in flight
 *    per node); alerts/s = alerts / (first POST sent -> last 202): the issue's measure, "ingested
 *    with their orders durable" (a 202 means the orders are committed; the bench then counts them
 *    in PostgreSQL). A second row, end to end: alerts / (first POST sent -> no order left queued,
 *    i.e. every order delivered to its agent, acked, and the ack applied in the store). The note
 *    also counts the heartbeat pings the agents got during the POSTs (each a write and a pong back).
 * 3. idle: every node asked `GET /healthz` every 20 ms for 12 s, nothing else going on: the slowest
 *    answers say how long a node's own periodic work (its heartbeat) holds its event loop
 *    (bench/cluster-idle.ts).
 * 4. failover: SIGKILL of node 2 while its agents are connected, and at once one `location=all`
 *    alert POSTed to node 0: time until every agent of node 2 is welcomed by another node, and until
 *    every agent got that order.
 *
 * `RIPOSTE_BENCH_PHASES=failover` (say) runs only the phases listed; `RIPOSTE_BENCH_INGEST_ROUNDS=2`
 * runs the ingest phase twice (the second on processes that have run it once).
 * `RIPOSTE_BENCH_AGENT_ACKS=0` (with `RIPOSTE_BENCH_PHASES=ingest` only) is a decomposition, not the
 * product's figure: the simulated agents take every order but never ack it, so the ingest row
 * measures ingest plus delivery without the acks (their frames, their store updates); read against
 * a run with acks, it says what the acks cost.
 * `RIPOSTE_BENCH_NATS_TLS=1` runs `cluster-nodes-nats` over TLS to NATS (bench-nats.ts): its rows
 * say "NATS JetStream, TLS".
 *
 * The whole run is bounded (`RIPOSTE_BENCH_TIMEOUT_S`, default 420 s): past it the next wait
 * fails, the module becomes a FAILED row and everything is torn down.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { BenchModule, BenchReport } from './bench-types.js';
import {
  agentIds,
  postAlerts,
  setDeadline,
  startFleet,
  untilAlive,
  type Child,
  type Fleet,
} from './cluster-fleet.js';
import { resetStatementStats, statementStats } from './bench-postgres.js';
import { describeCpu, postmasterOf, sampleCpu, type CpuGroups } from './cluster-cpu.js';
import { linkFloor } from './link-floor.js';
import { busTraffic } from './cluster-metrics.js';
import { errorMessage } from '../src/protocol/error-message.js';
import { NATS_TLS } from './bench-nats.js';
import { idleAnswers } from './cluster-idle.js';

const NODES = 3;
const WORKERS = 4;
const ROUNDS = 6;
const BATCH = 500;
const IN_FLIGHT_PER_NODE = 2;
/** See the module comment (and bench/cluster-agents-worker.ts, which reads the same variable). */
const AGENT_ACKS = process.env['RIPOSTE_BENCH_AGENT_ACKS'] !== '0';

function envInt(name: string, dflt: number): number {
  const v = Number(process.env[name]);
  return Number.isSafeInteger(v) && v > 0 ? v : dflt;
}

const now = (): number => performance.timeOrigin + performance.now();
const log = (text: string): void => {
  process.stderr.write(`cluster-nodes: ${text}\n`);
};
const load = (): string => os.loadavg()[0]?.toFixed(1) ?? '?';

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

function alert(rule: string, id: string, agent: string, srcip: string): string {
  return JSON.stringify({
    id,
    rule: { level: 10, id: rule, groups: ['bench'] },
    agent: { id: agent },
    data: { srcip },
  });
}

/** 198.18.0.0/15 (RFC 2544): data only, never dialled. */
function ip(k: number): string {
  return `198.${18 + ((k >> 16) & 1)}.${(k >> 8) & 255}.${k & 255}`;
}

interface Report {
  readonly arrivals: Record<string, number[]>;
  /** [closedAtMs, welcomedAtMs, node, 1 when the TLS session was resumed]. */
  readonly failovers: [number, number, number, number][];
  readonly orders: number;
  /** Heartbeat pings received so far (each answered with a pong). */
  readonly pings: number;
}

/** The agents' worker processes still running. */
function runningWorkers(f: Fleet): Child[] {
  return f.workers.filter((w) => w.proc.exitCode === null);
}

/** Pings received by every agent so far (the workers still running). */
async function pingsSoFar(f: Fleet): Promise<number> {
  return (await reportsOf(runningWorkers(f))).reduce((n, r) => n + r.pings, 0);
}

async function reportsOf(workers: readonly Child[]): Promise<Report[]> {
  for (const w of workers) {
    w.out = w.out.replace(/report .*\n/g, '');
    w.proc.stdin?.write('report\n');
  }
  await untilAlive('worker reports', 60_000, workers, () => workers.every((w) => /report .*\n/.test(w.out)));
  return workers.map((w) => JSON.parse(/report (.*)\n/.exec(w.out)?.[1] ?? '{}') as Report);
}

function tagDone(f: Fleet, tag: string): boolean {
  return f.workers.every((w) => w.out.includes(`tag-done ${tag}\n`));
}

async function fanout(f: Fleet, agents: number): Promise<BenchReport[]> {
  const sent = new Map<string, number>();
  const l0 = load();
  const mono0 = process.hrtime.bigint() / 1000n;
  for (let r = 1; r <= ROUNDS; r++) {
    const tag = `fan-${r}`;
    const node = f.nodes[r % NODES];
    if (node === undefined) {
      throw new Error('no node');
    }
    sent.set(tag, now());
    await postAlerts(f, node, [alert('100003', tag, '000', ip(r))]);
    await untilAlive(`fan-out round ${r}`, 60_000, f.workers, () => tagDone(f, tag));
    await new Promise((res) => setTimeout(res, 300));
  }
  log(`fan-out: rounds from ${mono0} to ${process.hrtime.bigint() / 1000n} (monotonic µs, for --cpu-prof)`);
  const lastSent = performance.now() - (now() - (sent.get(`fan-${ROUNDS}`) ?? now()));
  const applied = await acksApplied(f, lastSent, 90_000);
  log(`fan-out: every ack applied in the store ${Math.round(applied)} ms after the last round's alert`);
  const reps = await reportsOf(f.workers);
  const per: number[] = [];
  const everyAck: number[] = [];
  for (const [tag, t0] of sent) {
    const times = reps.flatMap((rep) => (rep.arrivals[tag] ?? []).map((t) => t - t0));
    per.push(...times);
    everyAck.push(Math.max(...times));
  }
  per.sort((a, b) => a - b);
  everyAck.sort((a, b) => a - b);
  const note = `${agents} agents on ${NODES} nodes, ${ROUNDS} rounds, ${per.length} acks, load ${l0}->${load()}`;
  return [
    {
      name: 'fan-out alert -> agent ack, p50',
      value: quantile(per, 0.5),
      unit: 'ms',
      lowerIsBetter: true,
      note,
    },
    {
      name: 'fan-out alert -> agent ack, p99',
      value: quantile(per, 0.99),
      unit: 'ms',
      target: 2000,
      lowerIsBetter: true,
      note,
    },
    {
      name: 'fan-out alert -> every ack (median round)',
      value: quantile(everyAck, 0.5),
      unit: 'ms',
      lowerIsBetter: true,
      note,
    },
    {
      name: "fan-out last alert -> every ack applied in the store (all orders 'delivered')",
      value: applied,
      unit: 'ms',
      lowerIsBetter: true,
      note: 'the nodes apply acks in their frame batcher (store round trips per agent); NaN: not within 90 s',
    },
  ];
}

async function storeCount(url: string, sql: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ n: string }>(sql);
    return Number(r.rows[0]?.n ?? 0);
  } finally {
    await c.end();
  }
}

/**
 * Waits (at most `ms`) until no order is left `queued` in the store, i.e. every ack the agents sent
 * was applied by the nodes; returns the ms waited from `t0` (performance.now()), NaN past `ms`.
 */
async function acksApplied(f: Fleet, t0: number, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const queued = await storeCount(f.pgUrl, "SELECT count(*) AS n FROM orders WHERE state = 'queued'");
    if (queued === 0) {
      return performance.now() - t0;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return NaN;
}

/**
 * `delivered`: the agents are connected and ack every order (the bench then also waits until every
 * ack is applied); without it the agents were disconnected first, so the POSTs' orders stay queued
 * (durable, not delivered) and the row measures the ingest path alone.
 */
async function ingest(
  f: Fleet,
  ids: readonly string[],
  total: number,
  { delivered = true, round = 0 }: { delivered?: boolean; round?: number } = {},
): Promise<BenchReport[]> {
  const bodies: string[][] = [];
  const first = round * total; // a later round's alerts are new alerts (ids, addresses)
  for (let k = 0; k < total; k += BATCH) {
    bodies.push(
      Array.from({ length: Math.min(BATCH, total - k) }, (_, j) => {
        const n = first + k + j;
        return alert('100004', `ing-${n}`, ids[n % ids.length] ?? '001', ip(1000 + n));
      }),
    );
  }
  const ingOrders = "SELECT count(*) AS n FROM orders WHERE alert_id LIKE 'ing-%'";
  const storedBefore = await storeCount(f.pgUrl, ingOrders);
  await resetStatementStats(f.pgUrl);
  const l0 = load();
  const cpu0 = process.cpuUsage();
  const groups: CpuGroups = {
    nodes: f.nodes.map((n) => n.child.proc.pid),
    workers: runningWorkers(f).map((w) => w.proc.pid),
    postmaster: postmasterOf(Number(new URL(f.pgUrl).port)),
  };
  // The heartbeat's share of the link traffic during the POSTs: pings to the agents (and their pongs).
  const pings0 = delivered ? await pingsSoFar(f) : 0;
  const before = sampleCpu(groups);
  let next = 0;
  const mono0 = process.hrtime.bigint() / 1000n;
  const t0 = performance.now();
  const lanes = f.nodes.flatMap((node) =>
    Array.from({ length: IN_FLIGHT_PER_NODE }, async () => {
      for (let b = next++; b < bodies.length; b = next++) {
        await postAlerts(f, node, bodies[b] ?? []);
      }
    }),
  );
  await Promise.all(lanes);
  const secs = (performance.now() - t0) / 1000;
  // CLOCK_MONOTONIC, the clock of V8's --cpu-prof timestamps: the POSTs' window in a node's profile.
  log(`ingest: POSTs from ${mono0} to ${process.hrtime.bigint() / 1000n} (monotonic µs, for --cpu-prof)`);
  const cpu = process.cpuUsage(cpu0);
  const after = sampleCpu(groups);
  const nodesCpu = after.nodes.reduce((sum, x, i) => sum + x - (before.nodes[i] ?? 0), 0);
  const pgCpu = after.postgres - before.postgres;
  const perAlert = (cpuS: number): string => `${((cpuS * 1e6) / total).toFixed(0)} µs/alert`;
  const stats = await statementStats(f.pgUrl);
  if (stats !== undefined) {
    log(
      `ingest: PostgreSQL statements during the POSTs (pg_stat_statements), ${bodies.length} POSTs:\n${stats}`,
    );
  }
  const pings = delivered
    ? `; ${(await pingsSoFar(f)) - pings0} heartbeat pings to the agents during the POSTs`
    : '';
  const stored = (await storeCount(f.pgUrl, ingOrders)) - storedBefore;
  const l1 = load();
  const client = `the bench's HTTP client used ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU`;
  const workersCpu = after.workers - before.workers;
  const used =
    `CPU during the POSTs: the ${NODES} nodes ${nodesCpu.toFixed(2)} s (${perAlert(nodesCpu)}), PostgreSQL ${pgCpu.toFixed(2)} s (${perAlert(pgCpu)})` +
    (delivered ? `, the simulated agents ${workersCpu.toFixed(2)} s (${perAlert(workersCpu)})` : '') +
    ` [${describeCpu(before, after, os.availableParallelism())}]`;
  let note = `${total} alerts in ${bodies.length} NDJSON POSTs over ${NODES} nodes; ${stored} orders in the store; ${used}; ${client}${pings}`;
  const waited = await afterPosts(f, t0, delivered);
  note += `; ${waited.text}; load ${l0}->${l1}`;
  log(note);
  if (stored !== total) {
    throw new Error(`ingest: ${stored} orders in the store for ${total} alerts`);
  }
  return ingestRows({ total, secs, applied: waited.applied, delivered, note });
}

/**
 * What the ingest phase waits for once the POSTs are answered, and what its note says of it: every
 * ack applied (agents connected and acking), nothing (agents not acking, or offline: the orders
 * stay queued). `applied`: seconds from the first POST until no order is left queued, else NaN.
 */
async function afterPosts(
  f: Fleet,
  t0: number,
  delivered: boolean,
): Promise<{ readonly applied: number; readonly text: string }> {
  if (!delivered) {
    return { applied: NaN, text: 'agents disconnected (orders stay queued)' };
  }
  if (!AGENT_ACKS) {
    return {
      applied: NaN,
      text: 'the agents take every order and ack none (RIPOSTE_BENCH_AGENT_ACKS=0: orders stay queued)',
    };
  }
  const applied = (await acksApplied(f, t0, 90_000)) / 1000;
  return { applied, text: `every ack applied in the store (none queued) after ${applied.toFixed(2)} s` };
}

/**
 * The ingest phase's rows: the durable rate (the issue's measure; with agents not acking, a part)
 * and, when the agents ack, the end-to-end rate.
 */
function ingestRows({
  total,
  secs,
  applied,
  delivered,
  note,
}: {
  readonly total: number;
  readonly secs: number;
  readonly applied: number;
  readonly delivered: boolean;
  readonly note: string;
}): BenchReport[] {
  // Agents not acking: a decomposition (see the module comment), so no target.
  const part = delivered && !AGENT_ACKS;
  const durable: BenchReport = {
    name: !delivered
      ? 'ingest across the cluster (POST /alerts -> orders durable), agents offline: ingest path only'
      : part
        ? 'ingest across the cluster (POST /alerts -> orders durable), agents not acking: a part (ingest and delivery, no acks)'
        : 'ingest across the cluster (POST /alerts -> orders durable)',
    value: total / secs,
    unit: 'alerts/s',
    ...(part ? {} : { target: 10_000 }),
    note,
  };
  // The issue's measure is the row above (orders durable when the POST is answered). This one
  // also waits for delivery: every order sent to its agent, acked, and the ack applied.
  const endToEnd: BenchReport = {
    name: 'ingest end to end (first POST -> every order delivered and its ack applied)',
    value: total / applied,
    unit: 'alerts/s',
    note: `the same POSTs as the row above; ${applied.toFixed(2)} s until no order is left queued`,
  };
  return delivered && !part ? [durable, endToEnd] : [durable];
}

async function failover(f: Fleet): Promise<BenchReport[]> {
  const victim = f.nodes[NODES - 1];
  const survivor = f.nodes[0];
  if (victim === undefined || survivor === undefined) {
    throw new Error('no node');
  }
  const l0 = load();
  const tag = 'fail-1';
  await resetStatementStats(f.pgUrl);
  const t0 = now();
  const mono0 = process.hrtime.bigint() / 1000n;
  victim.child.proc.kill('SIGKILL');
  await postAlerts(f, survivor, [alert('100003', tag, '000', ip(999))]);
  const alive = [...f.workers, ...f.nodes.slice(0, NODES - 1).map((n) => n.child)];
  await untilAlive('failover: the order at every agent', 120_000, alive, () => tagDone(f, tag));
  log(`failover: from ${mono0} to ${process.hrtime.bigint() / 1000n} (monotonic µs, for --cpu-prof)`);
  const stats = await statementStats(f.pgUrl);
  if (stats !== undefined) {
    log(
      `failover: PostgreSQL statements from the kill to the order at every agent (pg_stat_statements):\n${stats}`,
    );
  }
  const reps = await reportsOf(f.workers);
  const moved = reps.flatMap((r) => r.failovers.filter(([closedAt]) => closedAt >= t0 - 1000));
  const welcomed = moved.map(([, at]) => at - t0).sort((a, b) => a - b);
  const lastOrder = Math.max(...reps.flatMap((r) => (r.arrivals[tag] ?? []).map((t) => t - t0)));
  const resumed = moved.filter(([, , , r]) => r === 1).length;
  const note = `kill -9 of node ${NODES - 1}: ${moved.length} agents moved (p50 ${Math.round(quantile(welcomed, 0.5))} ms, ${resumed} TLS sessions resumed); load ${l0}->${load()}`;
  return [
    {
      name: 'failover: killed node -> all its agents on another node',
      value: welcomed.at(-1) ?? NaN,
      unit: 'ms',
      target: 10_000,
      lowerIsBetter: true,
      note,
    },
    {
      name: 'failover: killed node -> order created meanwhile at every agent',
      value: lastOrder,
      unit: 'ms',
      lowerIsBetter: true,
      note: `one location=all alert POSTed to node 0 right after the kill; ${note}`,
    },
  ];
}

/** After a failure: each node's last output, the orders' states per phase, each worker's tallies. */
async function diagnose(f: Fleet): Promise<void> {
  f.nodes.forEach((n, i) => {
    log(`node ${i} output (tail):\n${n.child.out.slice(-1500)}`);
  });
  const c = new pg.Client({ connectionString: f.pgUrl });
  await c.connect();
  try {
    const r = await c.query<{ phase: string; state: string; n: string }>(
      "SELECT split_part(alert_id, '-', 1) AS phase, state, count(*) AS n FROM orders GROUP BY 1, 2 ORDER BY 1, 2",
    );
    log(`orders by phase and state: ${r.rows.map((x) => `${x.phase}/${x.state}=${x.n}`).join(' ')}`);
  } finally {
    await c.end();
  }
  const reps = await reportsOf(runningWorkers(f));
  reps.forEach((rep, i) => {
    const tags = Object.entries(rep.arrivals).filter(([t]) => !t.startsWith('ing-'));
    log(
      `worker ${i}: ${rep.orders} orders, ${rep.failovers.length} failovers, ${tags.map(([t, a]) => `${t}=${a.length}`).join(' ')}`,
    );
  });
}

/**
 * The phases to run: `RIPOSTE_BENCH_PHASES` (comma-separated among fan-out, ingest, idle, failover)
 * for an investigation of one of them (e.g. a CPU profile of a failover alone); default all four.
 */
function phasesToRun(): Set<string> {
  const list = (process.env['RIPOSTE_BENCH_PHASES'] ?? '').split(',').filter((p) => p !== '');
  return new Set(list.length > 0 ? list : ['fan-out', 'ingest', 'idle', 'failover']);
}

/**
 * The ingest rows' baseline, measured before the fleet starts (link-floor.ts: this machine's bare
 * link traffic for the same agents and orders): its best of three rounds, and the note the rows
 * carry.
 */
async function floorBaseline(agents: number, total: number): Promise<{ rate: number; note: string }> {
  const floor = await linkFloor({ agents, total, rounds: 3 });
  const note =
    `baseline: this machine's bare link traffic in this run (bench/link-floor.ts: ${agents} mutual-TLS ` +
    `WebSockets, one ${total}-order round per row, a frame to the agent and an ack back per order, no Riposte ` +
    `code), the best of ${floor.rates.map((r) => Math.round(r)).join(' / ')} orders/s; in it ${floor.note}`;
  log(note);
  return { rate: floor.best, note };
}

/** `rows` with `base` as their baseline (the ingest rows: alerts/s against the floor's orders/s). */
function withBaseline(
  rows: readonly BenchReport[],
  base: { rate: number; note: string } | undefined,
): BenchReport[] {
  return rows.map((r) =>
    base === undefined || r.unit !== 'alerts/s'
      ? r
      : { ...r, baseline: base.rate, ratio: r.value / base.rate, note: `${r.note ?? ''}; ${base.note}` },
  );
}

async function measure(bus: 'postgres' | 'nats'): Promise<BenchReport[]> {
  const agents = envInt('RIPOSTE_BENCH_N', 5_000);
  const total = envInt('RIPOSTE_BENCH_ALERTS', 30_000);
  const only = phasesToRun();
  if (!AGENT_ACKS && (only.has('fan-out') || only.has('failover'))) {
    throw new Error(
      'RIPOSTE_BENCH_AGENT_ACKS=0 is a decomposition of the ingest phase: set RIPOSTE_BENCH_PHASES=ingest',
    );
  }
  const base = only.has('ingest') ? await floorBaseline(agents, total) : undefined;
  const fleet = await startFleet({ nodes: NODES, agents, workers: WORKERS, bus, log });
  const label =
    bus === 'postgres' ? 'PostgreSQL NOTIFY' : NATS_TLS ? 'NATS JetStream, TLS' : 'NATS JetStream';
  const rows: BenchReport[] = [];
  const groups: CpuGroups = {
    nodes: fleet.nodes.map((n) => n.child.proc.pid),
    workers: fleet.workers.map((w) => w.proc.pid),
    postmaster: postmasterOf(Number(new URL(fleet.pgUrl).port)),
  };
  // A phase that fails becomes a FAILED row (with the diagnosis on stderr); the others still report.
  const phase = async (name: string, run: () => Promise<BenchReport[]>): Promise<void> => {
    try {
      const before = sampleCpu(groups);
      const got = await run();
      const cpu = describeCpu(before, sampleCpu(groups), os.availableParallelism());
      rows.push(...got.map((r) => ({ ...r, note: `${r.note ?? ''}; ${cpu}` })));
      log(`${name} done (load ${load()}); ${cpu}`);
      log(`${name}: order bus, counts since the nodes started (their /metrics): ${await busTraffic(fleet)}`);
    } catch (err) {
      await diagnose(fleet).catch((e: unknown) => {
        log(`diagnosis failed: ${String(e)}`);
      });
      const why = errorMessage(err);
      rows.push({ name: `${name}: FAILED`, value: NaN, unit: '', target: 0, lowerIsBetter: true, note: why });
    }
  };
  try {
    const ids = agentIds(fleet);
    if (only.has('fan-out')) {
      await phase('fan-out', () => fanout(fleet, agents));
    }
    if (only.has('ingest')) {
      await phase('ingest', async () => withBaseline(await ingest(fleet, ids, total), base));
      // RIPOSTE_BENCH_INGEST_ROUNDS=N (default 1): the ingest phase N times on the same fleet, each
      // round reported, to tell the first (cold: its code paths compiled meanwhile) from the next.
      for (let r = 1; r < envInt('RIPOSTE_BENCH_INGEST_ROUNDS', 1); r++) {
        await phase(`ingest round ${r + 1}`, async () =>
          withBaseline(await ingest(fleet, ids, total, { round: r }), base).map((row) => ({
            ...row,
            name: `${row.name}, round ${r + 1}`,
          })),
        );
      }
    }
    if (only.has('idle')) {
      await phase('idle', () => idleAnswers(fleet));
    }
    if (only.has('failover')) {
      await phase('failover', () => failover(fleet));
    }
    return rows.map((r) => ({ ...r, name: `${r.name} (${label})` }));
  } finally {
    await fleet.stop();
  }
}

/**
 * The ingest path alone: `RIPOSTE_BENCH_N` agents (default 1,000) enrolled and connected (so their
 * ids are real), then disconnected (their workers exit), then the ingest phase: every POST's orders
 * are committed and stay queued for the offline agents, no delivery or ack competes for the CPU.
 */
async function measureIngestOnly(): Promise<BenchReport[]> {
  const agents = envInt('RIPOSTE_BENCH_N', 1_000);
  const total = envInt('RIPOSTE_BENCH_ALERTS', 30_000);
  const fleet = await startFleet({ nodes: NODES, agents, workers: WORKERS, bus: 'postgres', log });
  try {
    const ids = agentIds(fleet);
    await Promise.all(
      fleet.workers.map(async (w) => {
        const gone = new Promise((r) => w.proc.once('exit', r));
        w.proc.stdin?.write('exit\n');
        await gone;
      }),
    );
    await new Promise((r) => setTimeout(r, 1000)); // the nodes see the links close
    const rows = await ingest(fleet, ids, total, { delivered: false });
    return rows.map((r) => ({ ...r, name: `${r.name} (${agents} agents, PostgreSQL NOTIFY)` }));
  } finally {
    await fleet.stop();
  }
}

function bounded(run: () => Promise<BenchReport[]>): Promise<BenchReport[]> {
  setDeadline(Date.now() + envInt('RIPOSTE_BENCH_TIMEOUT_S', 420) * 1000);
  return run().finally(() => {
    setDeadline(Infinity);
  });
}

export const clusterNodes: BenchModule = {
  name: 'cluster-nodes',
  run: () => bounded(() => measure('postgres')),
};
export const clusterNodesNats: BenchModule = {
  name: 'cluster-nodes-nats',
  run: () => bounded(() => measure('nats')),
};
export const clusterIngest: BenchModule = { name: 'cluster-ingest', run: () => bounded(measureIngestOnly) };
