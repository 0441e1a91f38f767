/**
 * Composition root of the agent: lays out the home dir, installs the stock scripts, opens the
 * store, restores active responses (re-applying them after a reboot), binds the execq socket.
 * The API server and the manager side are attached by the CLI commands that start a runtime.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { AgentArSettings } from '../core/config-model.js';
import type { AgentStore } from '../core/execd/agent-store.js';
import { openSqliteAgentStore } from '../store/sqlite-agent-store.js';
import { installStockScripts } from '../scripts/install.js';
import { assertSafeHome } from '../home/home-safety.js';
import { replaceFileNoFollow } from '../home/no-follow.js';
import { agentPaths, type AgentPaths } from './agent-paths.js';
import { ArConfResolver } from './ar-conf-resolver.js';
import { readBootId } from './boot-id.js';
import { openDaemonLog, type DaemonLog, type LogLevel } from '../log/daemon-log.js';
import { Execd, type RestoreSummary } from './execd/execd.js';
import { hostProtectedAddresses } from '../net/host-addresses.js';
import { stockScriptLookup } from './execd/stock-lookup.js';
import { bindExecqSocket, type ExecqSocket } from './execq-socket.js';
import { admittingExecq } from './execq-admission.js';
import { selectRunner } from './executor/select-runner.js';
import { startLoopDelayMonitor, type LoopDelayMonitor } from './loop-delay.js';
import type { ScriptLimits } from './executor/spawn-script.js';

const BOOT_ID_SETTING = 'boot_id';

export interface AgentRuntimeOptions {
  readonly home: string;
  readonly agentId: string;
  readonly settings: AgentArSettings;
  readonly limits: ScriptLimits;
  readonly logLevel: LogLevel;
  readonly bootIdFile: string;
  /** Revert every active response on a clean stop (Wazuh's behaviour). @default false */
  readonly revertOnStop: boolean;
  readonly poolSize?: number;
  /** Dry run: every decision, store write and log line, nothing run on the host (executor-port.ts). */
  readonly dryRun?: boolean;
  readonly now?: () => number;
  /** Called after every execution is recorded (the manager link reports it). Optional. */
  readonly onExecution?: (executionId: number) => void;
  /**
   * Deferred start-up work of the caller (loading modules "running" needs later): called once, while
   * the restore waits for its first OS operation (a bulk re-apply's transaction after a reboot),
   * or once the restore is done when it has none, so that it never delays the re-apply.
   */
  readonly whileRestoring?: () => void;
  /** ar.conf comes from a manager's welcome (an enrolled agent: ar-conf-resolver.ts). @default false */
  readonly arConfFromManager?: boolean;
  /**
   * The store's quick_check run ahead (store/quick-check-ahead.ts), started by the caller before it
   * loaded the runtime's modules: awaited before the store is opened, which skips its own check
   * only when this one passed. Absent = the opening checks.
   */
  readonly storeCheckedAhead?: Promise<boolean>;
  /** Binds the execq socket (another thread may own it: runtime/local-agent-thread.ts). @default bindExecqSocket */
  readonly bindExecq?: typeof bindExecqSocket;
}

export interface AgentRuntime {
  readonly paths: AgentPaths;
  readonly execd: Execd;
  readonly store: AgentStore;
  readonly log: DaemonLog;
  readonly resolver: ArConfResolver;
  readonly restored: RestoreSummary;
  readonly startedAt: number;
  stop(): Promise<void>;
}

function prepareHome(paths: AgentPaths): void {
  for (const dir of [dirname(paths.ossecConf), dirname(paths.arConf), paths.bin, dirname(paths.db)]) {
    mkdirSync(dir, { recursive: true, mode: 0o750 });
  }
  mkdirSync(resolve(paths.home, 'logs'), { recursive: true, mode: 0o750 });
}

/**
 * Whether the stored boot id differs from the kernel's, and how to record the new one. The caller
 * records it only once the restore is done: a crash during a re-apply after a reboot then finds the
 * old boot id again at the next start and re-applies again (re-applies are idempotent).
 */
function detectReboot(
  store: AgentStore,
  bootIdFile: string,
  log: DaemonLog,
): { rebooted: boolean; record: () => void } {
  const current = readBootId(bootIdFile);
  const previous = store.getSetting(BOOT_ID_SETTING);
  if (current === undefined) {
    log.warn(`Cannot read the boot id from '${bootIdFile}': reboots will not be detected.`);
    return { rebooted: false, record: () => undefined };
  }
  return {
    rebooted: previous !== undefined && previous !== current,
    record: () => {
      store.setSetting(BOOT_ID_SETTING, current);
    },
  };
}

export async function startAgentRuntime(opts: AgentRuntimeOptions): Promise<AgentRuntime> {
  const now = opts.now ?? Date.now;
  const loopDelay = startLoopDelayMonitor();
  const paths = agentPaths(resolve(opts.home));
  assertSafeHome(paths.home);
  prepareHome(paths);
  const log = openDaemonLog(paths.home, opts.logLevel, 'riposte-execd');
  installStockScripts(paths.home);
  if (opts.dryRun === true) {
    log.info('Dry run: scripts are not run; each execution records the commands it would run.');
  }
  let started: () => void = () => undefined;
  const runScript = selectRunner({
    now,
    dryRun: opts.dryRun === true,
    // Its spawn helpers boot once start-up is done (a reboot's re-apply comes first).
    helpersAfter: new Promise<void>((resolve) => {
      started = resolve;
    }),
    onUnscopedCommand: (line) => {
      log.info(line);
    },
  });
  const store = openSqliteAgentStore(paths.db, { checkedAhead: (await opts.storeCheckedAhead) === true });
  const resolver = new ArConfResolver(paths.home, log, { fromManager: opts.arConfFromManager === true });
  // Read ar.conf now (Wazuh waits for the first message): an absent executable is reported at start.
  resolver.names();
  opts.settings.repeatedOffenders.forEach((n, i) => {
    log.info(`Adding offenders timeout: ${n} (for #${i + 1})`);
  });
  const execd = new Execd({
    home: paths.home,
    agentId: opts.agentId,
    store,
    resolver,
    runScript,
    // Dry run: stock scripts go through the runner's dry-run twins, one execution at a time.
    ...(opts.dryRun === true ? {} : { inProcessScript: stockScriptLookup(paths.home) }),
    log,
    now,
    repeatedOffenders: opts.settings.repeatedOffenders,
    limits: opts.limits,
    protectedAddresses: () => hostProtectedAddresses(),
    ...(opts.poolSize !== undefined ? { poolSize: opts.poolSize } : {}),
    ...(opts.onExecution !== undefined ? { onExecution: opts.onExecution } : {}),
  });
  const restored = await restoreResponses(execd, store, log, opts);
  const socket = await bindSocket(paths, execd, log, opts);
  replaceFileNoFollow(paths.pidFile, `${process.pid}\n`, 0o640);
  log.info(`Started (pid: ${process.pid}).`);
  started();
  loopDelay.reset();
  return {
    paths,
    execd,
    store,
    log,
    resolver,
    restored,
    startedAt: now(),
    stop: () => stopRuntime({ execd, store, log, socket, paths, revert: opts.revertOnStop, loopDelay }),
  };
}

/**
 * Rebuilds the schedule (re-applying after a reboot), running the caller's deferred work once
 * while it waits or after it; the new boot id is recorded only once the restore is done.
 */
async function restoreResponses(
  execd: Execd,
  store: AgentStore,
  log: DaemonLog,
  opts: Pick<AgentRuntimeOptions, 'bootIdFile' | 'whileRestoring'>,
): Promise<RestoreSummary> {
  const { rebooted, record: recordBootId } = detectReboot(store, opts.bootIdFile, log);
  let deferred = opts.whileRestoring;
  const runDeferred = (): void => {
    const run = deferred;
    deferred = undefined;
    run?.();
  };
  const restored = await execd.restore(rebooted, runDeferred);
  runDeferred();
  recordBootId();
  log.info(
    `Restored active responses: ${restored.armed} armed, ${restored.reverted} overdue reverted, ${restored.reapplied} re-applied${rebooted ? ' (reboot detected)' : ''}.`,
  );
  return restored;
}

async function bindSocket(
  paths: AgentPaths,
  execd: Execd,
  log: DaemonLog,
  opts: Pick<AgentRuntimeOptions, 'settings' | 'bindExecq'>,
): Promise<ExecqSocket | undefined> {
  if (opts.settings.disabled) {
    log.info('(1350): Active response disabled.');
    return undefined;
  }
  const bind = opts.bindExecq ?? bindExecqSocket;
  const socket = await bind(
    paths.execq,
    admittingExecq((text) => execd.submit(text), log),
    (err) => {
      log.error(`(1210): Queue '${paths.execq}' not accessible: '${err.message}'.`);
    },
    execd.intakeGate,
  );
  // RIPOSTE_EXECQ_POLL=1: batch steps poll the socket while they run. Off by default: on the
  // loaded 2-CPU machine it shortened intake but not the burst (BENCHMARKS.md, execq-burst).
  if (process.env['RIPOSTE_EXECQ_POLL'] === '1') {
    execd.attachIntake(socket.poll);
  }
  return socket;
}

interface StopParts {
  readonly execd: Execd;
  readonly store: AgentStore;
  readonly log: DaemonLog;
  readonly socket: ExecqSocket | undefined;
  readonly paths: AgentPaths;
  readonly revert: boolean;
  readonly loopDelay: LoopDelayMonitor;
}

async function stopRuntime(p: StopParts): Promise<void> {
  p.socket?.close();
  await p.execd.stop(p.revert);
  p.store.close();
  rmSync(p.paths.pidFile, { force: true });
  p.log.info(p.loopDelay.stop());
  p.log.info('Stopped.');
  p.log.flush();
}
