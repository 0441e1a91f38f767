/**
 * What every manager runtime runs, whatever its size: the config (manager mode), ar.conf, the
 * durable store, the service, the order-expiry timer, the in-process agent 000 over the same link
 * protocol as a remote agent, and the alerts.json tailer. `riposte manager` (manager-runtime.ts)
 * adds the TLS link, enrollment and HTTPS; `riposte start` (single-host-runtime.ts) adds nothing but
 * its local API. One path for both: an alert becomes durable orders, agent 000 executes them.
 */
import { FirstHellos } from '../manager/first-hellos.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { startAgentRuntime, type AgentRuntime } from '../agent/agent-runtime.js';
import { DEFAULT_BOOT_ID_FILE } from '../agent/boot-id.js';
import { openDaemonLog, type DaemonLog, type LogLevel } from '../log/daemon-log.js';
import { DEFAULT_SCRIPT_LIMITS, type ScriptLimits } from '../agent/executor/spawn-script.js';
import type { Config } from '../core/config-model.js';
import { loadConfig } from '../config/load-config.js';
import { AR_CONF_PATH, renderArConf } from '../core/ar-conf.js';
import { DEFAULT_ORDER_TTL_MS } from '../core/orders/order-state.js';
import { createAlertsTailer, type AlertsTailer, type StartAt } from '../ingest/alerts-file-tailer.js';
import { tailedLineLabel } from '../ingest/tailed-line.js';
import { decodeTailPosition, encodeTailPosition } from '../ingest/tail-position.js';
import { nodeIdOf } from '../home/node-id.js';
import { loadTailPosition, tailPositionKey } from './alerts-position.js';
import { AgentLinkSession } from '../link/agent-link-session.js';
import { RIPOSTE_VERSION } from '../link/agent-connector.js';
import { connectInProcess, type InProcessLink } from '../link/in-process-link.js';
import { openSqliteManagerStore } from '../store/sqlite-manager-store.js';
import { createManagerStore } from '../store/create-manager-store.js';
import { assertSafeHome } from '../home/home-safety.js';
import { AgentSessions } from '../manager/agent-sessions.js';
import { createLinkHandler, type ManagerLinkHandler } from '../manager/link-handler.js';
import {
  DEFAULT_DISCONNECTION_TIME_MS,
  LOCAL_AGENT_ID,
  type ClusterHooks,
  type ManagerContext,
} from '../manager/manager-context.js';
import type { ManagerEventListener, ManagerService } from '../manager/manager-service.js';
import type { ManagerStore } from '../core/orders/manager-store.js';
import { startOrderScheduler, type OrderScheduler } from '../manager/order-scheduler.js';
import { isStoreStalled, isStoreUnavailable } from '../store/store-unavailable.js';
import { errorMessage } from '../protocol/error-message.js';

/** Options shared by both runtimes. */
export interface ManagerHostOptions {
  readonly configPath: string;
  readonly home: string;
  /** Queued-order time-to-live, ms. @default 24 h */
  readonly ttlMs?: number;
  /** Tail this alerts.json when set. */
  readonly alertsFile?: string;
  /** @default 'end' */
  readonly alertsStartAt?: StartAt;
  /** Alerts tailer poll period, ms. @default 200 */
  readonly alertsPollMs?: number;
  /** @default 'info' */
  readonly logLevel?: LogLevel;
  /** See ManagerContext.disconnectionTimeMs. @default 10 min */
  readonly disconnectionTimeMs?: number;
  /** Order expiry check period, ms. @default 1000 */
  readonly expiryEveryMs?: number;
  /** How long settled orders and execution reports are kept, ms (order-scheduler.ts). @default 30 days */
  readonly historyMs?: number;
  /** History pruning period, ms. @default 10 min */
  readonly pruneEveryMs?: number;
  readonly limits?: ScriptLimits;
  readonly bootIdFile?: string;
  /** Agent 000's pool of concurrent executions. @default the agent's default */
  readonly poolSize?: number;
  /** Revert agent 000's active responses on a clean stop (Wazuh's behaviour). @default false */
  readonly revertOnStop?: boolean;
  /** Agent 000 runs scripts as dry runs: nothing touches the host (executor-port.ts). */
  readonly dryRun?: boolean;
  /**
   * The manager store's URL (store/create-manager-store.ts: postgres://... or a SQLite path).
   * @default `<home>/var/manager.db`
   */
  readonly storeUrl?: string;
}

/** The opened core, before the runtime-specific parts are attached. */
export interface ManagerHost {
  readonly home: string;
  readonly config: Config;
  readonly log: DaemonLog;
  readonly store: ManagerStore;
  readonly ctx: ManagerContext;
  readonly listeners: Set<ManagerEventListener>;
  readonly handler: ManagerLinkHandler;
}

function writeArConf(home: string, text: string): void {
  const file = join(home, AR_CONF_PATH);
  mkdirSync(dirname(file), { recursive: true, mode: 0o750 });
  writeFileSync(file, text, { mode: 0o640 });
}

function emitter(listeners: Set<ManagerEventListener>, log: DaemonLog): ManagerContext['emit'] {
  return (event) => {
    for (const l of listeners) {
      try {
        l(event);
      } catch (err: unknown) {
        log.error(`Event listener failed: ${errorMessage(err)}`);
      }
    }
  };
}

/** Loads the config, writes ar.conf, opens the store and builds the context. */
export async function openManagerHost(
  opts: ManagerHostOptions,
  singleHost: boolean,
  logName: string,
  cluster?: ClusterHooks,
): Promise<ManagerHost> {
  const home = resolve(opts.home);
  assertSafeHome(home);
  const config = await loadConfig(opts.configPath, 'manager');
  const log = openDaemonLog(home, opts.logLevel ?? 'info', logName);
  // The load's warnings (a command defined twice, a block that never fires...) go to riposte.log
  // and stderr at every start, as Wazuh writes them to ossec.log: not only `riposte check` says so.
  for (const w of config.warnings) {
    log.warn(w);
  }
  const arConf = renderArConf(config);
  writeArConf(home, arConf);
  const store =
    opts.storeUrl !== undefined
      ? await createManagerStore(opts.storeUrl)
      : openSqliteManagerStore(join(home, 'var', 'manager.db'));
  const listeners = new Set<ManagerEventListener>();
  const ctx: ManagerContext = {
    store,
    config,
    sessions: new AgentSessions(),
    // A cluster node stamps and judges times by the cluster's clock (its database's), not its own.
    now: cluster?.now ?? Date.now,
    ttlMs: opts.ttlMs ?? DEFAULT_ORDER_TTL_MS,
    emit: emitter(listeners, log),
    log,
    arConf,
    disconnectionTimeMs: opts.disconnectionTimeMs ?? DEFAULT_DISCONNECTION_TIME_MS,
    singleHost,
    ...(cluster !== undefined ? { cluster } : { firstHellos: new FirstHellos() }),
  };
  return { home, config, log, store, ctx, listeners, handler: createLinkHandler(ctx) };
}

export interface LocalAgent {
  readonly runtime: AgentRuntime;
  readonly link: InProcessLink;
}

/** Starts agent 000 in this process and links it to the manager (same protocol as a remote agent). */
export async function startLocalAgent(opts: ManagerHostOptions, host: ManagerHost): Promise<LocalAgent> {
  const hook: { session?: AgentLinkSession } = {};
  const runtime = await startAgentRuntime({
    home: host.home,
    agentId: LOCAL_AGENT_ID,
    settings: host.config.agent,
    limits: opts.limits ?? DEFAULT_SCRIPT_LIMITS,
    logLevel: opts.logLevel ?? 'info',
    bootIdFile: opts.bootIdFile ?? DEFAULT_BOOT_ID_FILE,
    revertOnStop: opts.revertOnStop ?? false,
    onExecution: (id) => hook.session?.notifyExecution(id),
    ...(opts.poolSize !== undefined ? { poolSize: opts.poolSize } : {}),
    ...(opts.dryRun === true ? { dryRun: true } : {}),
  });
  const session = new AgentLinkSession({
    execd: runtime.execd,
    store: runtime.store,
    log: runtime.log,
    version: RIPOSTE_VERSION,
    disabled: host.config.agent.disabled,
    installArConf: () => undefined,
  });
  hook.session = session;
  return { runtime, link: connectInProcess(host.handler, LOCAL_AGENT_ID, session, { log: runtime.log }) };
}

/**
 * Tails `file`: each batch of lines is ingested with the position just after it as the
 * checkpoint, so the orders and the position commit in one transaction.
 */
export async function startTailer(
  opts: ManagerHostOptions & { alertsFile: string },
  host: ManagerHost,
  service: ManagerService,
): Promise<AlertsTailer> {
  // Keyed per node and path, so nodes of a cluster never share a position (alerts-position.ts).
  const key = tailPositionKey(nodeIdOf(host.home), opts.alertsFile);
  const shared = host.ctx.cluster !== undefined;
  const saved = await loadTailPosition({ store: host.store, home: host.home, shared }, key, opts.alertsFile);
  const tailer = createAlertsTailer({
    path: opts.alertsFile,
    loadPosition: () => saved,
    savePosition: (pos) => host.store.setSetting(key, encodeTailPosition(pos)),
    onLines: async (lines, end, lineEnds) => {
      await service.ingestAlerts(lines, {
        key,
        value: encodeTailPosition(end),
        lineLabel: (i) => tailedLineLabel(opts.alertsFile, lines, lineEnds, i),
      });
    },
    startAt: opts.alertsStartAt ?? 'end',
    ...(opts.alertsPollMs !== undefined ? { pollMs: opts.alertsPollMs } : {}),
    // A store outage (PostgreSQL restarting, a full disk) holds the lines back until it ends.
    isTransient: isStoreUnavailable,
    isStalled: isStoreStalled,
    committedPosition: async () => decodeTailPosition(await host.store.getSetting(key)),
    onError: (err) => {
      host.log.warn(`Alerts file '${opts.alertsFile}': ${err.message}`);
    },
  });
  tailer.start();
  return tailer;
}

/** Starts the order-expiry and history-pruning timers. */
export function startScheduler(opts: ManagerHostOptions, host: ManagerHost): OrderScheduler {
  return startOrderScheduler(host.ctx, opts.expiryEveryMs, {
    ...(opts.historyMs !== undefined ? { keepMs: opts.historyMs } : {}),
    ...(opts.pruneEveryMs !== undefined ? { everyMs: opts.pruneEveryMs } : {}),
  });
}
