/**
 * The executor port's composition (executor-port.ts): for each invocation, first the trust check
 * (script-trust.ts: a refusal is a failed run with the reason, nothing started), then
 *   - stock scripts (our shims, recognised by their marker) run in-process through the script
 *     library (cancellable), or their dry-run twin;
 *   - anything else is spawned by the spawn workers (off the main thread), or reported by the
 *     dry-run twin; the tools the stock scripts start run on the same workers.
 * The shim decision is cached per path: the marker only changes when the agent reinstalls the shims
 * at start.
 */
import { join } from 'node:path';
import { SpawnWorkerPool } from '../../exec/spawn-workers.js';
import { startProcess, type ProcessStarter } from '../../exec/run-process.js';
import { readStockShimName } from '../../scripts/install.js';
import { stockScripts } from '../../scripts/registry.js';
import type { StockScript } from '../../scripts/contract/stock-script.js';
import { formatCommand, setProcessDryRun, type RecordedCommand } from '../../scripts/contract/tool-scope.js';
import { setToolProcessRunner } from '../../scripts/contract/tools.js';
import type { ScriptInvocation, ScriptOutcome, ScriptRunner } from './executor-port.js';
import { dryRunSpawn, dryRunStockScript } from './dry-run-script.js';
import { runScriptInProcess } from './in-process-script.js';
import { scriptRefusal } from './script-trust.js';
import { runScript } from './spawn-script.js';

export interface RunnerOptions {
  readonly now: () => number;
  /** Run stock scripts in-process. @default true */
  readonly inProcess?: boolean;
  /**
   * Nothing touches the host (executor-port.ts). Also turns the whole process's tool runs into
   * recordings, so no code path can start a tool by mistake.
   */
  readonly dryRun?: boolean;
  /** Where a dry-run tool command started outside any execution is reported (e.g. the daemon log). */
  readonly onUnscopedCommand?: (line: string) => void;
  /**
   * Spawn helper processes (exec/spawn-workers.ts); 0 = spawn on the calling thread.
   * @default $RIPOSTE_SPAWN_WORKERS, else 2 (1 on one CPU)
   */
  readonly spawnWorkers?: number;
  /**
   * The spawn helpers boot once this settles: a daemon passes its start-up, so a helper's boot (a
   * Node.js process start, ~0.1 s of CPU) does not compete with a reboot's re-apply; tool runs
   * before that are forked by the daemon itself (exec/spawn-workers.ts). @default at once
   */
  readonly helpersAfter?: Promise<unknown>;
  /** Refuse scripts not owned by root/the daemon's user or writable by group/others. @default true */
  readonly checkTrust?: boolean;
}

function refused(reason: string, now: () => number): ScriptOutcome {
  const at = now();
  return {
    exitCode: null,
    signal: null,
    timedOut: false,
    handshake: 'none',
    firstLine: undefined,
    reply: undefined,
    stderrTail: reason,
    spawnError: undefined,
    startedAt: at,
    endedAt: at,
  };
}

/**
 * The spawn workers, or the calling thread with 0. The workers also start the tools of in-process
 * stock scripts (one `nft -f -` per batch, ...): set process-wide, as tools may be started outside
 * any execution (a batched transaction flushed later).
 */
function starterFor(opts: RunnerOptions): ProcessStarter {
  const fromEnv = Number(process.env['RIPOSTE_SPAWN_WORKERS'] ?? 'NaN');
  const workers = opts.spawnWorkers ?? (Number.isInteger(fromEnv) && fromEnv >= 0 ? fromEnv : undefined);
  if (workers === 0) {
    setToolProcessRunner(undefined);
    return startProcess;
  }
  const pool = new SpawnWorkerPool(workers);
  // Booted ahead of the first burst, not on its critical path (issue #12 row 1: the first batch's
  // nft run waited for it); until then tool runs are forked by this process.
  void (opts.helpersAfter ?? Promise.resolve()).then(() => {
    pool.warm();
  });
  setToolProcessRunner(pool.run);
  return pool.start;
}

export function selectRunner(opts: RunnerOptions): ScriptRunner {
  const cache = new Map<string, StockScript | null>();
  const stockFor = (file: string): StockScript | undefined => {
    if (opts.inProcess === false) {
      return undefined;
    }
    if (!cache.has(file)) {
      const name = readStockShimName(file);
      cache.set(file, (name !== undefined ? stockScripts.get(name) : undefined) ?? null);
    }
    return cache.get(file) ?? undefined;
  };
  const dryRun = opts.dryRun === true;
  if (dryRun) {
    const report = opts.onUnscopedCommand;
    setProcessDryRun((c: RecordedCommand) => report?.(`dry run: would run ${formatCommand(c)}`));
  }
  const start = dryRun ? startProcess : starterFor(opts);
  return (inv: ScriptInvocation) => {
    const refusal = opts.checkTrust === false ? undefined : scriptRefusal(inv.home, inv.program);
    if (refusal !== undefined) {
      return Promise.resolve(refused(refusal, opts.now));
    }
    const stock = stockFor(join(inv.home, inv.program));
    if (dryRun || inv.dryRun === true) {
      return stock ? dryRunStockScript(stock, inv, opts.now) : dryRunSpawn(inv, opts.now);
    }
    return stock ? runScriptInProcess(stock, inv, opts.now) : runScript(inv, opts.now, start);
  };
}
