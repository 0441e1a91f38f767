/**
 * Store restart benchmark: the agent's re-arm cost. 100,000 active responses are written to a temp
 * SQLite store (one `putActive` transaction each, as the agent writes them), the store is closed,
 * then a fresh process opens it and runs `listActive()` (what the agent does at boot to re-arm its
 * timeouts). Baseline, in the same run: a fresh process doing a plain `SELECT *` of the same rows.
 * Best (lowest) of alternating rounds. Target: open + listActive under 3 s.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { ActiveResponse } from '../src/protocol/execution-records.js';
import { openSqliteAgentStore } from '../src/store/sqlite-agent-store.js';
import type { BenchModule, BenchReport } from './bench-types.js';
import type { WorkerSample } from './store-restart-worker.js';

const ROWS = 100_000;
const ROUNDS = 3;
const TARGET_MS = 3_000;
const here = path.dirname(fileURLToPath(import.meta.url));

export const name = 'store-restart';

/** A realistic row: firewall-drop on a distinct IPv4 address, with the JSON messages it stores. */
function activeRow(i: number): ActiveResponse {
  const srcip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const key = `firewall-drop-${srcip}`;
  const message = (command: string): string =>
    JSON.stringify({
      version: 1,
      origin: { name: 'node01', module: 'wazuh-execd' },
      command,
      parameters: { extra_args: [], alert: { rule: { id: '5712' }, data: { srcip } } },
    });
  const addedAt = 1_700_000_000_000 + i;
  return {
    key,
    arName: 'firewall-drop600',
    program: 'active-response/bin/firewall-drop',
    deleteMessage: message('delete'),
    addMessage: message('add'),
    agentId: '001',
    createdAt: addedAt,
    addedAt,
    timeoutSec: 600,
    expiresAt: addedAt + 600_000,
    repeatCount: 1,
    alertId: `1700000000.${i}`,
    ruleId: 5712,
    srcip,
    user: undefined,
  };
}

/** Fills the store; returns inserts per second. */
function fill(file: string): number {
  const store = openSqliteAgentStore(file);
  const t0 = performance.now();
  for (let i = 0; i < ROWS; i++) {
    store.putActive(activeRow(i));
  }
  const ms = performance.now() - t0;
  store.close();
  return (ROWS / ms) * 1000;
}

function sample(mode: 'store' | 'plain', file: string): WorkerSample {
  const out = execFileSync(process.execPath, [path.join(here, 'store-restart-worker.js'), mode, file], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  const s = JSON.parse(out) as WorkerSample;
  if (s.rows !== ROWS) {
    throw new Error(`store-restart: ${mode} read ${s.rows} rows, expected ${ROWS}`);
  }
  return s;
}

function best(samples: readonly WorkerSample[]): WorkerSample {
  return samples.reduce((a, b) => (b.ms < a.ms ? b : a));
}

function reports(putRate: number, store: WorkerSample, plain: WorkerSample): BenchReport[] {
  const mib = (b: number): number => b / (1024 * 1024);
  return [
    {
      name: `store restart: open + listActive, ${ROWS} rows`,
      value: store.ms,
      unit: 'ms',
      baseline: plain.ms,
      ratio: store.ms / plain.ms,
      target: TARGET_MS,
      lowerIsBetter: true,
      note: 'baseline: open + plain SELECT *',
    },
    {
      name: 'store restart: RSS delta',
      value: mib(store.rssDeltaBytes),
      unit: 'MiB',
      baseline: mib(plain.rssDeltaBytes),
      ratio: store.rssDeltaBytes / plain.rssDeltaBytes,
      lowerIsBetter: true,
      note: 'fresh process, rows held',
    },
    {
      name: 'store putActive (1 transaction each)',
      value: putRate,
      unit: 'ops/s',
      note: 'WAL, synchronous=NORMAL',
    },
  ];
}

export function run(): Promise<BenchReport[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-'));
  try {
    const file = path.join(dir, 'var', 'agent.db');
    const putRate = fill(file);
    const viaStore: WorkerSample[] = [];
    const plain: WorkerSample[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      viaStore.push(sample('store', file));
      plain.push(sample('plain', file));
    }
    return Promise.resolve(reports(putRate, best(viaStore), best(plain)));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const storeRestart: BenchModule = { name, run };
