/**
 * Agent restart: a temp home whose store (`openSqliteAgentStore`, one `putActive` each) holds ROWS
 * active responses with far deadlines; the real `riposte agent` daemon is started on it and timed
 * from spawn to its "running" line (printed after `restore()` armed every response), and its
 * resident memory is read from /proc once running. Baseline in the same run: the same daemon on an
 * empty store. Rounds alternate (empty, full); medians are reported. The daemon log is checked to
 * say all ROWS were armed. Targets: restart < 3 s, RSS < 300 MiB (taken as the "300 MB" target).
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ActiveResponse } from '../src/protocol/execution-records.js';
import { openSqliteAgentStore } from '../src/store/sqlite-agent-store.js';
import type { BenchModule, BenchReport } from './bench-types.js';
import { arMessage, benchIp, loadNote, makeAgentHome, quantile, removeAgentHome } from './agent-home.js';
import { residentMiB, startAgentDaemon } from './agent-daemon.js';

const ROWS = 100_000;
const ROUNDS = 5;
const TARGET_MS = 3_000;
const TARGET_MIB = 300;
/** Deadlines this far ahead, so nothing is overdue at restart (ms). */
const AHEAD_MS = 30 * 24 * 3600 * 1000;
const AR_NAME = 'firewall-drop600';

export const name = 'agent-restart';

function activeRow(i: number, now: number): ActiveResponse {
  const srcip = benchIp(10 + (i >> 16), i & 0xffff);
  const add = arMessage(AR_NAME, srcip, i);
  return {
    key: `firewall-drop-${srcip}`,
    arName: AR_NAME,
    program: 'active-response/bin/firewall-drop',
    deleteMessage: add.replace(`"command":"${AR_NAME}"`, '"command":"delete"'),
    addMessage: add.replace(`"command":"${AR_NAME}"`, '"command":"add"'),
    agentId: '000',
    createdAt: now,
    addedAt: now,
    timeoutSec: AHEAD_MS / 1000,
    expiresAt: now + AHEAD_MS,
    repeatCount: 1,
    alertId: `1700000000.${i}`,
    ruleId: 5712,
    srcip,
    user: undefined,
  };
}

/** Fills `<home>/var/agent.db`; returns how long it took in ms. */
function fill(home: string): number {
  const store = openSqliteAgentStore(path.join(home, 'var', 'agent.db'));
  const t0 = performance.now();
  const now = Date.now();
  for (let i = 0; i < ROWS; i++) {
    store.putActive(activeRow(i, now));
  }
  const ms = performance.now() - t0;
  if (store.countActive() !== ROWS) {
    throw new Error(`agent-restart: store holds ${store.countActive()} rows, expected ${ROWS}`);
  }
  store.close();
  return ms;
}

interface Start {
  readonly ms: number;
  readonly rss: number;
  readonly peak: number;
}

/** Starts the daemon on `home`, reads its memory once running, stops it. */
async function startOnce(home: string, expectArmed: number): Promise<Start> {
  const logFile = path.join(home, 'logs', 'riposte.log');
  const logStart = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
  const d = await startAgentDaemon(home, 60_000);
  let mem: { rss: number; peak: number };
  try {
    mem = residentMiB(d.pid);
  } finally {
    await d.stop();
  }
  const log = fs.readFileSync(logFile).subarray(logStart).toString('utf8');
  if (!log.includes(`Restored active responses: ${expectArmed} armed`)) {
    throw new Error(`agent-restart: the daemon did not report ${expectArmed} armed:\n${d.output()}`);
  }
  return { ms: d.startMs, ...mem };
}

function median(starts: readonly Start[], pick: (s: Start) => number): number {
  return quantile(starts.map(pick), 0.5);
}

function reports(full: readonly Start[], empty: readonly Start[], fillMs: number): BenchReport[] {
  const ms = median(full, (s) => s.ms);
  const baseMs = median(empty, (s) => s.ms);
  const rss = median(full, (s) => s.rss);
  const baseRss = median(empty, (s) => s.rss);
  const all = (xs: readonly Start[], pick: (s: Start) => number): string =>
    xs.map((s) => pick(s).toFixed(0)).join('/');
  return [
    {
      name: `agent restart: spawn -> running, ${ROWS} active re-armed`,
      value: ms,
      unit: 'ms',
      baseline: baseMs,
      ratio: ms / baseMs,
      target: TARGET_MS,
      lowerIsBetter: true,
      note: `median of ${all(full, (s) => s.ms)} ms; baseline: empty store (${all(empty, (s) => s.ms)} ms); ${loadNote()}`,
    },
    {
      name: `agent restart: resident memory (VmRSS), ${ROWS} active`,
      value: rss,
      unit: 'MiB',
      baseline: baseRss,
      ratio: rss / baseRss,
      target: TARGET_MIB,
      lowerIsBetter: true,
      note: `read once running; peak VmHWM ${median(full, (s) => s.peak).toFixed(0)} MiB (empty: ${median(empty, (s) => s.peak).toFixed(0)}); store filled in ${(fillMs / 1000).toFixed(1)} s`,
    },
  ];
}

export async function run(): Promise<BenchReport[]> {
  const fullHome = makeAgentHome();
  const emptyHome = makeAgentHome();
  try {
    const fillMs = fill(fullHome);
    const full: Start[] = [];
    const empty: Start[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      empty.push(await startOnce(emptyHome, 0));
      full.push(await startOnce(fullHome, ROWS));
    }
    return reports(full, empty, fillMs);
  } finally {
    removeAgentHome(fullHome);
    removeAgentHome(emptyHome);
  }
}

export const agentRestart: BenchModule = { name, run };
