/**
 * CLI start-up, entered where a user enters: the built `riposte` executable run as a new process,
 * timed from spawn to exit (wall). Two commands: `riposte --help`, and `riposte ar list --home H`
 * against a real running daemon (`riposte agent --home H`, started once). Baseline in the same run:
 * `node -e 0`, the floor any Node CLI pays. Rounds alternate the three commands; medians are
 * reported. Target (issue #9): each < 250 ms on this machine.
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { BenchModule, BenchReport } from './bench-types.js';
import { loadNote, makeAgentHome, quantile, removeAgentHome } from './agent-home.js';
import { CLI, startAgentDaemon } from './agent-daemon.js';

const ROUNDS = 11;
const TARGET_MS = 250;

export const name = 'cli-startup';

/** Runs `node args` to completion; returns its wall time in ms. @throws Error when it fails. */
function timed(args: readonly string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) {
    throw new Error(`cli-startup: node ${args.join(' ')} exited ${String(r.status)}: ${r.stderr}`);
  }
  return ms;
}

async function run(): Promise<BenchReport[]> {
  const home = makeAgentHome();
  const daemon = await startAgentDaemon(home, 30_000);
  const node: number[] = [];
  const help: number[] = [];
  const list: number[] = [];
  try {
    for (let i = 0; i < ROUNDS; i++) {
      node.push(timed(['-e', '0']));
      help.push(timed([CLI, '--help']));
      list.push(timed([CLI, 'ar', 'list', '--home', home]));
    }
  } finally {
    await daemon.stop();
    removeAgentHome(home);
  }
  const base = quantile(node, 0.5);
  const row = (label: string, values: readonly number[]): BenchReport => {
    const value = quantile(values, 0.5);
    return {
      name: label,
      value,
      unit: 'ms',
      baseline: base,
      ratio: value / base,
      target: TARGET_MS,
      lowerIsBetter: true,
      note: `median of ${ROUNDS}, max ${Math.round(Math.max(...values))} ms; baseline node -e 0; ${loadNote()}`,
    };
  };
  return [row('riposte --help (process wall)', help), row('riposte ar list, running daemon', list)];
}

export const cliStartup: BenchModule = { name, run };
