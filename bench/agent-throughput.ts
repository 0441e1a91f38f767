/**
 * Agent throughput: stateful adds per second. The agent path minus the socket: an in-process
 * `Execd` (default pool of 16) with a SQLite store in a temp home, the ar.conf resolver, the daemon
 * log and the real runner (`selectRunner`, which spawns any non-stock script), fed ADDS messages
 * with distinct srcips at once. The script is `KEYED_SCRIPT` (trivial sh: check_keys with the
 * srcip, reads the reply, exits); every add is checked to have been stored as started.
 * Baseline in the same run: a sequential spawn-and-wait loop of the same script doing the same
 * exchange (message line, check_keys line, continue reply, exit), without store or bookkeeping.
 * Short rounds alternate (agent, baseline) so both sides see the same load on this shared machine;
 * each side's rate is its total adds over its total time, with the best rounds and each round's
 * own ratio in the note. Target: ratio >= 0.8.
 *
 * Where the time goes (measured): `child_process.spawn` is synchronous (fork + exec on the event
 * loop, ~2-3 ms for a Node process), so both paths are bound by it and the pool cannot overlap it.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ArConfResolver } from '../src/agent/ar-conf-resolver.js';
import { openDaemonLog } from '../src/log/daemon-log.js';
import { Execd } from '../src/agent/execd/execd.js';
import { selectRunner } from '../src/agent/executor/select-runner.js';
import { DEFAULT_SCRIPT_LIMITS } from '../src/agent/executor/spawn-script.js';
import { rewriteForScript } from '../src/protocol/ar-message.js';
import type { JsonObject } from '../src/protocol/json.js';
import { openSqliteAgentStore } from '../src/store/sqlite-agent-store.js';
import type { BenchModule, BenchReport } from './bench-types.js';
import {
  arMessage,
  benchIp,
  installScript,
  KEYED_SCRIPT,
  loadNote,
  makeAgentHome,
  quantile,
  removeAgentHome,
  writeArConf,
} from './agent-home.js';

const ADDS = 500;
const WARMUP = 20;
const ROUNDS = 6;
const TARGET_RATIO = 0.8;
const AR_NAME = 'keyed600';
const PROGRAM = 'active-response/bin/keyed';

export const name = 'agent-throughput';

function messages(range: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => arMessage(AR_NAME, benchIp(range, i), range * 100_000 + i));
}

/** One agent round in a fresh home: returns adds per second. */
async function agentRound(): Promise<number> {
  const home = makeAgentHome();
  try {
    installScript(home, 'keyed', KEYED_SCRIPT);
    writeArConf(home, [`${AR_NAME} - keyed - 600`]);
    const store = openSqliteAgentStore(path.join(home, 'var', 'agent.db'));
    const log = openDaemonLog(home, 'info', 'riposte-execd');
    const execd = new Execd({
      home,
      agentId: '000',
      store,
      resolver: new ArConfResolver(home, log),
      runScript: selectRunner({ now: Date.now }),
      log,
      now: Date.now,
      repeatedOffenders: [],
      limits: DEFAULT_SCRIPT_LIMITS,
    });
    try {
      await Promise.all(messages(3, WARMUP).map((m) => execd.submit(m)));
      const batch = messages(1, ADDS);
      const t0 = performance.now();
      const results = await Promise.all(batch.map((m) => execd.submit(m)));
      const ms = performance.now() - t0;
      const started = results.filter((r) => r?.decision === 'started').length;
      if (started !== ADDS || store.countActive() !== ADDS + WARMUP) {
        throw new Error(`agent-throughput: ${started}/${ADDS} adds started, ${store.countActive()} stored`);
      }
      return (ADDS * 1000) / ms;
    } finally {
      await execd.stop(false);
      store.close();
      log.flush();
    }
  } finally {
    removeAgentHome(home);
  }
}

/** The baseline exchange with one script run: line, first stdout line, reply, exit. */
function exchange(file: string, cwd: string, message: JsonObject): Promise<string> {
  const child = spawn(file, [], { cwd, stdio: ['pipe', 'pipe', 'ignore'] });
  child.stdin.on('error', () => undefined);
  child.stdin.write(`${JSON.stringify(rewriteForScript(message, 'add', PROGRAM))}\n`);
  let out = '';
  let replied = false;
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (!replied && out.includes('\n')) {
      replied = true;
      child.stdin.end(`${JSON.stringify(rewriteForScript(message, 'continue', PROGRAM))}\n`);
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', () => {
      resolve(out);
    });
  });
}

/** One baseline round: ADDS sequential spawn-and-wait exchanges; returns runs per second. */
async function baselineRound(): Promise<number> {
  const home = makeAgentHome();
  try {
    const file = installScript(home, 'keyed', KEYED_SCRIPT);
    const batch = messages(2, ADDS).map((m) => JSON.parse(m) as JsonObject);
    for (const m of batch.slice(0, WARMUP)) {
      await exchange(file, home, m);
    }
    const t0 = performance.now();
    let keyed = 0;
    for (const m of batch) {
      keyed += (await exchange(file, home, m)).includes('"check_keys"') ? 1 : 0;
    }
    const ms = performance.now() - t0;
    if (keyed !== ADDS) {
      throw new Error(`agent-throughput baseline: ${keyed}/${ADDS} runs printed check_keys`);
    }
    return (ADDS * 1000) / ms;
  } finally {
    removeAgentHome(home);
  }
}

/** Sum of adds over sum of time, per side: both sides sampled across the same interleaved period. */
function aggregate(rates: readonly number[]): number {
  const ms = rates.reduce((t, r) => t + (ADDS * 1000) / r, 0);
  return (rates.length * ADDS * 1000) / ms;
}

export async function run(): Promise<BenchReport[]> {
  const agent: number[] = [];
  const baseline: number[] = [];
  const t0 = performance.now();
  for (let r = 0; r < ROUNDS; r++) {
    agent.push(await agentRound());
    baseline.push(await baselineRound());
  }
  const value = aggregate(agent);
  const base = aggregate(baseline);
  const pairs = agent.map((a, i) => a / (baseline[i] ?? NaN));
  const note =
    `${ROUNDS} alternating rounds of ${ADDS} distinct keys at once, pool 16; best rounds ` +
    `${Math.max(...agent).toFixed(0)} vs ${Math.max(...baseline).toFixed(0)} adds/s; round ratios ` +
    `${pairs.map((x) => x.toFixed(2)).join('/')} (median ${quantile(pairs, 0.5).toFixed(2)}); ` +
    `${((performance.now() - t0) / 1000).toFixed(1)} s; ${loadNote()}`;
  return [
    {
      name: 'agent: stateful adds (sh script, sqlite store)',
      value,
      unit: 'adds/s',
      baseline: base,
      ratio: value / base,
      note: `baseline: sequential spawn-and-wait, same exchange; ${note}`,
    },
    { name: 'agent: stateful adds / plain spawn loop', value: value / base, unit: 'x', target: TARGET_RATIO },
  ];
}

export const agentThroughput: BenchModule = { name, run };
