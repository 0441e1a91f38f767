/**
 * Child program of the firewall-burst benchmark; runs INSIDE a scratch network namespace created by
 * bench/firewall-burst.ts (every firewall change happens there, never on the host).
 *
 * Measures, through the stock firewall-drop script run in-process exactly as the agent runs it
 * (runStockScript: log lines, check_keys handshake, continue):
 * - nftables: wall time of N concurrent adds (distinct IPv4 addresses), the number of nft
 *   transactions used, and the median cost of one more add with 0 and with N addresses present;
 * - iptables: sequential adds (the fw-drop lock serialises them anyway) up to M addresses or a time
 *   budget, and their wall time; then the median cost of one add with 0, M/2 and M addresses
 *   present (when the burst stopped early, the rest is bulk-loaded with iptables-restore first).
 * Prints one JSON line (WorkerResult).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pairedChannel } from '../src/scripts/contract/channel.js';
import { runStockScript } from '../src/scripts/contract/run-stock-script.js';
import { runProcess } from '../src/exec/run-process.js';
import { resolveBinary } from '../src/scripts/contract/tools.js';
import { firewallDrop } from '../src/scripts/firewall/firewall-drop.js';
import { sharedNftBatcher } from '../src/scripts/firewall/nftables.js';

export interface WorkerResult {
  readonly nft: { count: number; burstMs: number; transactions: number; addMs0: number; addMsFull: number };
  readonly ipt: { count: number; burstMs: number; budgetHit: boolean; addMsAt: [number, number][] };
}

const NFT_COUNT = 10_000;
const IPT_COUNT = 2_000;
const IPT_BUDGET_MS = 60_000;
const SAMPLES = 9;

function message(command: string, ip: string, extra: readonly string[]): string {
  return JSON.stringify({
    version: 1,
    origin: { name: 'bench', module: 'wazuh-execd' },
    command,
    parameters: {
      extra_args: extra,
      alert: { data: { srcip: ip } },
      program: 'active-response/bin/firewall-drop',
    },
  });
}

/** One in-process firewall-drop run (add answers continue); resolves with its exit code. */
async function runOnce(home: string, command: string, ip: string, extra: readonly string[]): Promise<number> {
  const ch = pairedChannel();
  ch.peer.send(message(command, ip, extra));
  const peer = (async (): Promise<void> => {
    if ((await ch.peer.readLine()) !== undefined) {
      ch.peer.send(message('continue', ip, extra));
    }
    ch.peer.end();
  })();
  const host = { home, argv0: 'active-response/bin/firewall-drop', now: () => new Date() };
  const code = await runStockScript(firewallDrop, ch.script, host);
  ch.peer.close();
  await peer;
  if (code !== 0) {
    throw new Error(`firewall-drop ${command} ${ip} exited ${code}`);
  }
  return code;
}

/** Distinct test-only IPv4 addresses: 10.<base>.x.y. */
function addr(base: number, i: number): string {
  return `10.${base + (i >> 16)}.${(i >> 8) & 0xff}.${i & 0xff}`;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] ?? NaN;
}

/** Median duration of SAMPLES sequential adds of fresh addresses (then removed again). */
async function addCost(home: string, extra: readonly string[], base: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await runOnce(home, 'add', addr(base, i), extra);
    times.push(performance.now() - t0);
  }
  for (let i = 0; i < SAMPLES; i++) {
    await runOnce(home, 'delete', addr(base, i), extra);
  }
  return median(times);
}

async function benchNft(home: string): Promise<WorkerResult['nft']> {
  const extra = ['--backend', 'nftables'];
  const addMs0 = await addCost(home, extra, 200);
  const before = sharedNftBatcher.transactions;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: NFT_COUNT }, (_, i) => runOnce(home, 'add', addr(100, i), extra)));
  const burstMs = performance.now() - t0;
  const transactions = sharedNftBatcher.transactions - before;
  const addMsFull = await addCost(home, extra, 200);
  return { count: NFT_COUNT, burstMs, transactions, addMs0, addMsFull };
}

/** Bulk-loads Wazuh-layout rules for addresses [from, to) with iptables-restore --noflush. */
async function bulkFill(from: number, to: number): Promise<void> {
  const lines = ['*filter'];
  for (let i = from; i < to; i++) {
    lines.push(`-I INPUT -s ${addr(150, i)} -j DROP`, `-I FORWARD -s ${addr(150, i)} -j DROP`);
  }
  lines.push('COMMIT', '');
  const file = resolveBinary('iptables-restore') ?? 'iptables-restore';
  const r = await runProcess({ file, args: ['--noflush'], input: lines.join('\n'), timeoutMs: 120_000 });
  if (r.exitCode !== 0) {
    throw new Error(`iptables-restore failed: ${r.stderr || String(r.spawnError)}`);
  }
}

async function benchIpt(home: string): Promise<WorkerResult['ipt']> {
  const extra = ['--backend', 'iptables'];
  const addMsAt: [number, number][] = [[0, await addCost(home, extra, 200)]];
  const t0 = performance.now();
  let count = 0;
  while (count < IPT_COUNT && performance.now() - t0 < IPT_BUDGET_MS) {
    await runOnce(home, 'add', addr(150, count), extra);
    count++;
  }
  const burstMs = performance.now() - t0;
  let present = count;
  for (const checkpoint of [IPT_COUNT / 2, IPT_COUNT]) {
    if (present < checkpoint) {
      await bulkFill(present, checkpoint);
      present = checkpoint;
    }
    addMsAt.push([present, await addCost(home, extra, 200)]);
  }
  return { count, burstMs, budgetHit: count < IPT_COUNT, addMsAt };
}

async function main(): Promise<void> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'riposte-bench-fw-'));
  try {
    const nft = await benchNft(home);
    const ipt = await benchIpt(home);
    const result: WorkerResult = { nft, ipt };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
