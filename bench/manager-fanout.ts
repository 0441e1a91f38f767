/**
 * Manager fan-out: one `location=all` response to 1,000 connected agents. A real `riposte manager`
 * process; 1,000 simulated agents in WORKERS processes, each enrolled through the real /enroll and
 * connected over its own mTLS WebSocket, speaking the real link protocol (bench/manager-fanout-worker.ts).
 * Each round POSTs one alert to the REST API (`POST /alerts`) and waits until every agent got its
 * order (the simulated agent acks on arrival). Reported: p50 / p99 of alert -> ack over every
 * (round, agent) pair; the median over rounds of alert -> last ack; and the manager's resident
 * memory per connected agent (RSS with 1,000 agents minus RSS before any, / 1,000).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchModule, BenchReport } from './bench-types.js';

const AGENTS = 1000;
const WORKERS = 4;
const ROUNDS = 10;
const MAIN = path.resolve('dist/src/cli/main.js');
const WORKER = path.resolve('dist/bench/manager-fanout-worker.js');
const CONFIG = `<ossec_config>
  <command><name>mark</name><executable>mark</executable><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>mark</command><location>all</location><rules_id>100003</rules_id><timeout>600</timeout></active-response>
</ossec_config>
`;

interface Child {
  readonly proc: ChildProcess;
  out: string;
}

function launch(args: readonly string[]): Child {
  const proc = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const c: Child = { proc, out: '' };
  proc.stdout?.on('data', (d: Buffer) => (c.out += d.toString()));
  return c;
}

async function until(what: string, timeoutMs: number, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) {
      throw new Error(`manager-fanout: timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
}

function postAlert(port: number, ca: string, token: string, srcip: string): Promise<void> {
  const body = JSON.stringify({
    rule: { level: 10, id: '100003', groups: ['bench'] },
    agent: { id: '000' },
    id: srcip,
    data: { srcip },
  });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/alerts',
        ca,
        checkServerIdentity: () => undefined,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 202 || res.statusCode === 200) {
            resolve();
          } else {
            reject(new Error(`POST /alerts: HTTP ${res.statusCode ?? 0}`));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

interface Fleet {
  readonly manager: Child;
  readonly workers: Child[];
  readonly port: number;
  readonly ca: string;
  readonly token: string;
  readonly rss0: number;
  readonly rss1: number;
}

/** Starts the manager, then the simulated agents; RSS is read before and after they connect. */
async function startFleet(home: string, manager: Child, workers: Child[]): Promise<Fleet> {
  await until('manager', 30_000, () => /listening on/.test(manager.out));
  const port = Number(/127\.0\.0\.1:(\d+)/.exec(manager.out)?.[1]);
  const ca = readFileSync(path.join(home, 'etc', 'pki', 'ca.pem'), 'utf8');
  const password = readFileSync(path.join(home, 'etc', 'authd.pass'), 'utf8').trim();
  const token = readFileSync(path.join(home, 'var', 'admin.token'), 'utf8').trim();
  await new Promise((r) => setTimeout(r, 1000));
  const rss0 = rssKiB(manager.proc.pid ?? 0);
  for (let w = 0; w < WORKERS; w++) {
    const count = AGENTS / WORKERS;
    workers.push(launch([WORKER, JSON.stringify({ port, password, ca, count, prefix: `bench-${w}` })]));
  }
  await until('1,000 agents connected', 300_000, () => workers.every((w) => w.out.includes('connected')));
  await new Promise((r) => setTimeout(r, 2000));
  return { manager, workers, port, ca, token, rss0, rss1: rssKiB(manager.proc.pid ?? 0) };
}

/** Runs the rounds; returns each round's send time (index = order seq). */
async function runRounds(f: Fleet): Promise<number[]> {
  const sent: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    sent[round] = performance.timeOrigin + performance.now();
    await postAlert(f.port, f.ca, f.token, `10.200.0.${round}`);
    await until(`round ${round}`, 60_000, () =>
      f.workers.every((w) => w.out.includes(`seq-done ${round}\n`)),
    );
  }
  return sent;
}

/** Alert -> ack latencies of every (round, agent), and the slowest ack of each round. */
async function collect(f: Fleet, sent: readonly number[]): Promise<{ perAck: number[]; lasts: number[] }> {
  for (const w of f.workers) {
    w.proc.stdin?.write('report\n');
  }
  await until('reports', 30_000, () => f.workers.every((w) => /report .*\n/.test(w.out)));
  const perAck: number[] = [];
  const lastPerRound = new Map<number, number>();
  for (const w of f.workers) {
    const pairs = JSON.parse(/report (.*)\n/.exec(w.out)?.[1] ?? '[]') as [number, number][];
    for (const [seq, at] of pairs) {
      const ms = at - (sent[seq] ?? at);
      perAck.push(ms);
      lastPerRound.set(seq, Math.max(lastPerRound.get(seq) ?? 0, ms));
    }
  }
  return { perAck: perAck.sort((a, b) => a - b), lasts: [...lastPerRound.values()].sort((a, b) => a - b) };
}

function reports(f: Fleet, perAck: readonly number[], lasts: readonly number[]): BenchReport[] {
  const note = `${AGENTS} agents in ${WORKERS} processes, ${ROUNDS} alerts, ${perAck.length} acks`;
  return [
    { name: 'alert -> agent ack, p50', value: quantile(perAck, 0.5), unit: 'ms', lowerIsBetter: true, note },
    {
      name: 'alert -> agent ack, p99',
      value: quantile(perAck, 0.99),
      unit: 'ms',
      target: 1000,
      lowerIsBetter: true,
      note,
    },
    {
      name: 'alert -> every ack (median of rounds)',
      value: quantile(lasts, 0.5),
      unit: 'ms',
      lowerIsBetter: true,
    },
    {
      name: 'manager RSS per connected agent',
      value: (f.rss1 - f.rss0) / AGENTS,
      unit: 'KiB',
      lowerIsBetter: true,
      note: `RSS ${Math.round(f.rss0 / 1024)} MiB idle -> ${Math.round(f.rss1 / 1024)} MiB with ${AGENTS} agents`,
    },
  ];
}

async function measure(home: string): Promise<BenchReport[]> {
  const conf = path.join(home, 'ossec.conf');
  writeFileSync(conf, CONFIG);
  const args = [
    MAIN,
    'manager',
    '-c',
    conf,
    '--home',
    home,
    '--listen',
    '127.0.0.1:0',
    '--log-level',
    'warn',
    '--no-local-agent',
  ];
  const manager = launch(args);
  const workers: Child[] = [];
  try {
    const fleet = await startFleet(home, manager, workers);
    const sent = await runRounds(fleet);
    const { perAck, lasts } = await collect(fleet, sent);
    return reports(fleet, perAck, lasts);
  } finally {
    for (const w of workers) {
      w.proc.stdin?.write('exit\n');
      w.proc.kill();
    }
    manager.proc.kill('SIGTERM');
    await new Promise((r) => manager.proc.once('exit', r));
  }
}

export const managerFanout: BenchModule = {
  name: 'manager-fanout',
  async run(): Promise<BenchReport[]> {
    const home = mkdtempSync(path.join(os.tmpdir(), 'riposte-fanout-'));
    try {
      return await measure(home);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  },
};
