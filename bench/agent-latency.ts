/**
 * Agent latency: message received -> script started, through the real `riposte agent` daemon.
 * A temp home runs a trivial stateless sh script (`STAMP_SCRIPT`: its first command records
 * `date +%s%N` in stamps/<srcip>). The bench sends N messages to the daemon's execq socket, paced
 * (one every PACE_MS) so it measures latency, not queueing, and takes sent -> stamp per message.
 * Baseline, interleaved with it in the same run: the bench itself spawns the same script
 * (`child_process.spawn`, message on stdin) and takes spawn-call -> stamp.
 * Reported: p50 and p99 in ms of both, and the ratio agent / baseline (lower is better).
 *
 * Clocks: the script stamps CLOCK_REALTIME; the bench takes `performance.now()` (monotonic, µs)
 * plus an offset to the wall clock re-measured before each pair, so NTP slewing cannot drift in.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { sendToExecq } from '../src/agent/execq-socket.js';
import type { BenchModule, BenchReport } from './bench-types.js';
import {
  arMessage,
  benchIp,
  installScript,
  loadNote,
  makeAgentHome,
  quantile,
  removeAgentHome,
  sleep,
  STAMP_SCRIPT,
  writeArConf,
} from './agent-home.js';
import { startAgentDaemon } from './agent-daemon.js';

const MESSAGES = 300;
const WARMUP = 10;
/** Between one send and the next (agent and baseline alternate, so each sees one every 2 x PACE_MS). */
const PACE_MS = 15;
/** How long to wait for the last stamps after the last send. */
const SETTLE_MS = 15_000;
const AR_NAME = 'stamp0';
const AGENT_RANGE = 1;
const BASELINE_RANGE = 2;
const WARMUP_RANGE = 3;

export const name = 'agent-latency';

/**
 * Offset (ms) from `performance.timeOrigin + performance.now()` to the wall clock, accurate to a few
 * µs: spins (at most 1 ms) until Date.now() ticks, so the tick edge is the reference.
 */
function wallOffset(): number {
  const d0 = Date.now();
  let d = d0;
  while (d === d0) {
    d = Date.now();
  }
  return d - (performance.timeOrigin + performance.now());
}

/** Spawns the script directly (the baseline path): message on stdin, resolves on exit. */
function spawnDirect(file: string, cwd: string, line: string): Promise<void> {
  const child = spawn(file, [], { cwd, stdio: ['pipe', 'ignore', 'ignore'] });
  child.stdin.on('error', () => undefined);
  child.stdin.end(`${line}\n`);
  return new Promise((resolve) => {
    child.on('exit', () => {
      resolve();
    });
    child.on('error', () => {
      resolve();
    });
  });
}

interface Sent {
  /** srcip -> wall-clock ms when the bench handed the message over. */
  readonly agent: Map<string, number>;
  readonly baseline: Map<string, number>;
}

async function sendAll(home: string, script: string): Promise<Sent> {
  const execq = path.join(home, 'queue', 'alerts', 'execq');
  const sent: Sent = { agent: new Map(), baseline: new Map() };
  const exits: Promise<void>[] = [];
  for (let i = 0; i < WARMUP; i++) {
    await sendToExecq(execq, arMessage(AR_NAME, benchIp(WARMUP_RANGE, i), i));
    await spawnDirect(script, home, arMessage(AR_NAME, benchIp(WARMUP_RANGE, WARMUP + i), i));
    await sleep(PACE_MS);
  }
  for (let i = 0; i < MESSAGES; i++) {
    const offset = wallOffset();
    const ip = benchIp(AGENT_RANGE, i);
    const msg = arMessage(AR_NAME, ip, 1000 + i);
    sent.agent.set(ip, performance.timeOrigin + performance.now() + offset);
    await sendToExecq(execq, msg);
    await sleep(PACE_MS);
    const bip = benchIp(BASELINE_RANGE, i);
    const bmsg = arMessage(AR_NAME, bip, 2000 + i);
    sent.baseline.set(bip, performance.timeOrigin + performance.now() + offset);
    exits.push(spawnDirect(script, home, bmsg));
    await sleep(PACE_MS);
  }
  await Promise.all(exits);
  return sent;
}

/** Reads stamps/<ip> (epoch ns) as wall-clock ms; undefined while absent. */
function readStamp(stamps: string, ip: string): number | undefined {
  try {
    const ns = BigInt(fs.readFileSync(path.join(stamps, ip), 'utf8').trim());
    return Number(ns / 1000n) / 1000;
  } catch {
    return undefined;
  }
}

/** Waits (bounded) for every stamp; returns the latencies in ms of those that came. */
async function latencies(stamps: string, sent: ReadonlyMap<string, number>): Promise<number[]> {
  const deadline = performance.now() + SETTLE_MS;
  const out = new Map<string, number>();
  while (out.size < sent.size && performance.now() < deadline) {
    for (const [ip, at] of sent) {
      const stamp = out.has(ip) ? undefined : readStamp(stamps, ip);
      if (stamp !== undefined) {
        out.set(ip, stamp - at);
      }
    }
    if (out.size < sent.size) {
      await sleep(50);
    }
  }
  return [...out.values()];
}

function rows(agent: readonly number[], base: readonly number[]): BenchReport[] {
  const note = `${agent.length}/${MESSAGES} agent, ${base.length}/${MESSAGES} baseline samples; ${loadNote()}`;
  const pair = (label: string, q: number): BenchReport => {
    const value = quantile(agent, q);
    const baseline = quantile(base, q);
    return {
      name: `agent: message sent -> script started, ${label}`,
      value,
      unit: 'ms',
      baseline,
      ratio: value / baseline,
      lowerIsBetter: true,
      note: label === 'p50' ? `baseline: plain spawn of the same script; ${note}` : note,
    };
  };
  return [pair('p50', 0.5), pair('p99', 0.99)];
}

export async function run(): Promise<BenchReport[]> {
  const home = makeAgentHome();
  try {
    const script = installScript(home, 'stamp', STAMP_SCRIPT);
    writeArConf(home, [`${AR_NAME} - stamp - 0`]);
    const stamps = path.join(home, 'stamps');
    fs.mkdirSync(stamps);
    const daemon = await startAgentDaemon(home, 30_000);
    let sent: Sent;
    let agent: number[];
    try {
      sent = await sendAll(home, script);
      agent = await latencies(stamps, sent.agent);
    } finally {
      await daemon.stop();
    }
    const base = await latencies(stamps, sent.baseline);
    if (agent.length === 0 || base.length === 0) {
      throw new Error(`agent-latency: no stamps recorded (agent ${agent.length}, baseline ${base.length})`);
    }
    return rows(agent, base);
  } finally {
    removeAgentHome(home);
  }
}

export const agentLatency: BenchModule = { name, run };
