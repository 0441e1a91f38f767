/**
 * Composition root of `riposte manager`: loads ossec.conf (manager mode), writes the shared
 * ar.conf, opens the PKI and the durable store, serves HTTPS (REST API + /enroll + /link), runs the
 * order-expiry timer, the manager's own agent 000 (in-process, same protocol) and, when asked, the
 * alerts.json tailer. Everything started here is stopped by `stop()`, in reverse order.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { startAgentRuntime, type AgentRuntime } from '../agent/agent-runtime.js';
import { DEFAULT_BOOT_ID_FILE } from '../agent/boot-id.js';
import { openDaemonLog, type DaemonLog, type LogLevel } from '../log/daemon-log.js';
import { DEFAULT_SCRIPT_LIMITS, type ScriptLimits } from '../agent/executor/spawn-script.js';
import { loadConfig } from '../config/load-config.js';
import { AR_CONF_PATH, renderArConf } from '../core/ar-conf.js';
import { DEFAULT_ORDER_TTL_MS } from '../core/orders/order-state.js';
import {
  createAlertsTailer,
  type AlertsTailer,
  type StartAt,
  type TailPosition,
} from '../ingest/alerts-file-tailer.js';
import { AgentLinkSession } from '../link/agent-link-session.js';
import { RIPOSTE_VERSION } from '../link/agent-connector.js';
import { connectInProcess, type InProcessLink } from '../link/in-process-link.js';
import { createLinkServer, type LinkServer } from '../link/link-server.js';
import { ensureManagerPki, type ManagerPki } from '../pki/pki.js';
import { openSqliteManagerStore } from '../store/sqlite-manager-store.js';
import { assertSafeHome } from '../home/home-safety.js';
import { AgentSessions } from './agent-sessions.js';
import { Enrollment } from './enrollment.js';
import { createLinkHandler, type LinkHandler } from './link-handler.js';
import { DEFAULT_DISCONNECTION_TIME_MS, LOCAL_AGENT_ID, type ManagerContext } from './manager-context.js';
import { createManagerService } from './manager-core.js';
import type {
  CreateManagerApi,
  ManagerApiHandle,
  ManagerEventListener,
  ManagerService,
} from './manager-service.js';
import { startOrderScheduler } from './order-scheduler.js';

export interface ManagerRuntimeOptions {
  readonly configPath: string;
  readonly home: string;
  /** HTTPS address. @default 127.0.0.1:1515 */
  readonly listen?: { readonly host: string; readonly port: number };
  /** Queued-order time-to-live, ms. @default 24 h */
  readonly ttlMs?: number;
  /** Tail this alerts.json when set. */
  readonly alertsFile?: string;
  /** @default 'end' */
  readonly alertsStartAt?: StartAt;
  /** Run the in-process agent 000 (location=server). @default true */
  readonly localAgent?: boolean;
  /** The REST layer; without it only /enroll and /link are served. */
  readonly createApi?: CreateManagerApi;
  /** @default 'info' */
  readonly logLevel?: LogLevel;
  /** Link heartbeat period / dead-peer limit, ms. @default 10000 / 30000 */
  readonly heartbeatMs?: number;
  readonly deadAfterMs?: number;
  /** See ManagerContext.disconnectionTimeMs. @default 10 min */
  readonly disconnectionTimeMs?: number;
  /** Order expiry check period, ms. @default 1000 */
  readonly expiryEveryMs?: number;
  readonly limits?: ScriptLimits;
  readonly bootIdFile?: string;
  /** Agent 000 runs scripts as dry runs: nothing touches the host (executor-port.ts). */
  readonly dryRun?: boolean;
}

export interface ManagerRuntime {
  readonly service: ManagerService;
  readonly address: { readonly host: string; readonly port: number };
  readonly pki: ManagerPki;
  readonly home: string;
  /** `<home>/etc/authd.pass`. */
  readonly passwordFile: string;
  /** The REST handle (metrics etc.), when an API was created. */
  readonly api: ManagerApiHandle | undefined;
  stop(): Promise<void>;
}

/** Creates `<home>/etc/authd.pass` with a random password when missing (Wazuh's authd does the same). */
function ensurePassword(file: string, log: DaemonLog): void {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o750 });
    writeFileSync(file, `${randomBytes(16).toString('hex')}\n`, { mode: 0o600 });
    log.info(`Random enrollment password written to ${file}.`);
  }
}

function writeArConf(home: string, text: string): void {
  const file = join(home, AR_CONF_PATH);
  mkdirSync(dirname(file), { recursive: true, mode: 0o750 });
  writeFileSync(file, text, { mode: 0o640 });
}

interface LocalAgent {
  readonly runtime: AgentRuntime;
  readonly link: InProcessLink;
}

async function startLocalAgent(
  opts: ManagerRuntimeOptions,
  ctx: ManagerContext,
  handler: LinkHandler,
): Promise<LocalAgent> {
  const hook: { session?: AgentLinkSession } = {};
  const runtime = await startAgentRuntime({
    home: opts.home,
    agentId: LOCAL_AGENT_ID,
    settings: ctx.config.agent,
    limits: opts.limits ?? DEFAULT_SCRIPT_LIMITS,
    logLevel: opts.logLevel ?? 'info',
    bootIdFile: opts.bootIdFile ?? DEFAULT_BOOT_ID_FILE,
    revertOnStop: false,
    ...(opts.dryRun === true ? { dryRun: true } : {}),
    onExecution: () => hook.session?.notifyExecution(),
  });
  const session = new AgentLinkSession({
    execd: runtime.execd,
    store: runtime.store,
    log: runtime.log,
    version: RIPOSTE_VERSION,
    disabled: ctx.config.agent.disabled,
    installArConf: () => undefined,
  });
  hook.session = session;
  return { runtime, link: connectInProcess(handler, LOCAL_AGENT_ID, session) };
}

function startTailer(
  opts: ManagerRuntimeOptions & { alertsFile: string },
  service: ManagerService,
  log: DaemonLog,
): AlertsTailer {
  const posFile = join(opts.home, 'var', 'alerts.pos');
  const tailer = createAlertsTailer({
    path: opts.alertsFile,
    loadPosition: () =>
      existsSync(posFile) ? (JSON.parse(readFileSync(posFile, 'utf8')) as TailPosition) : undefined,
    savePosition: (pos) => {
      writeFileSync(posFile, JSON.stringify(pos), { mode: 0o600 });
    },
    onLines: (lines) => {
      service.ingestAlerts(lines);
    },
    startAt: opts.alertsStartAt ?? 'end',
    onError: (err) => {
      log.warn(`alerts tailer: ${err.message}`);
    },
  });
  tailer.start();
  return tailer;
}

function emitter(listeners: Set<ManagerEventListener>, log: DaemonLog): ManagerContext['emit'] {
  return (event) => {
    for (const l of listeners) {
      try {
        l(event);
      } catch (err: unknown) {
        log.error(`Event listener failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  };
}

/** Starts the manager. @throws RiposteError CONFIG_* when ossec.conf cannot be used. */
export async function startManagerRuntime(input: ManagerRuntimeOptions): Promise<ManagerRuntime> {
  const opts = { ...input, home: resolve(input.home) };
  assertSafeHome(opts.home);
  const config = await loadConfig(opts.configPath, 'manager');
  const log = openDaemonLog(opts.home, opts.logLevel ?? 'info', 'riposte-manager');
  const arConf = renderArConf(config);
  writeArConf(opts.home, arConf);
  const passwordFile = join(opts.home, 'etc', 'authd.pass');
  ensurePassword(passwordFile, log);
  const pki = await ensureManagerPki(join(opts.home, 'etc', 'pki'), Date.now(), opts.listen?.host);
  const store = openSqliteManagerStore(join(opts.home, 'var', 'manager.db'));
  const listeners = new Set<ManagerEventListener>();
  const ctx: ManagerContext = {
    store,
    config,
    sessions: new AgentSessions(),
    now: Date.now,
    ttlMs: opts.ttlMs ?? DEFAULT_ORDER_TTL_MS,
    emit: emitter(listeners, log),
    log,
    arConf,
    disconnectionTimeMs: opts.disconnectionTimeMs ?? DEFAULT_DISCONNECTION_TIME_MS,
  };
  const enrollment = new Enrollment(ctx, pki, passwordFile);
  const service = createManagerService({ ctx, enrollment, listeners, startedAt: Date.now() });
  const handler = createLinkHandler(ctx);
  const server = createLinkServer({
    pki,
    handler,
    enroll: (req, peer) => service.enroll(req, peer),
    ...(opts.heartbeatMs !== undefined ? { heartbeatMs: opts.heartbeatMs } : {}),
    ...(opts.deadAfterMs !== undefined ? { deadAfterMs: opts.deadAfterMs } : {}),
  });
  const api = opts.createApi ? await opts.createApi({ service, home: opts.home }) : undefined;
  server.setApi(api);
  const listen = opts.listen ?? { host: '127.0.0.1', port: 1515 };
  const address = await server.listen(listen.host, listen.port);
  const scheduler = startOrderScheduler(ctx, opts.expiryEveryMs);
  const local = opts.localAgent === false ? undefined : await startLocalAgent(opts, ctx, handler);
  const tailer =
    opts.alertsFile !== undefined
      ? startTailer({ ...opts, alertsFile: opts.alertsFile }, service, log)
      : undefined;
  log.info(
    `Manager listening on https://${listen.host}:${address.port} (CA fingerprint ${pki.caFingerprint}).`,
  );
  return {
    service,
    address,
    pki,
    home: opts.home,
    passwordFile,
    api,
    stop: () => stopAll({ tailer, scheduler, local, api, server, store, log }),
  };
}

interface Parts {
  readonly tailer: AlertsTailer | undefined;
  readonly scheduler: { stop(): void };
  readonly local: LocalAgent | undefined;
  readonly api: ManagerApiHandle | undefined;
  readonly server: LinkServer;
  readonly store: { close(): void };
  readonly log: DaemonLog;
}

async function stopAll(p: Parts): Promise<void> {
  await p.tailer?.stop();
  p.scheduler.stop();
  p.local?.link.close();
  await p.local?.runtime.stop();
  await p.server.close();
  await p.api?.close();
  p.store.close();
  p.log.info('Manager stopped.');
  p.log.flush();
}
