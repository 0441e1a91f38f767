/**
 * Composition root of `riposte manager`: the manager host (manager-host.ts: config, ar.conf, store,
 * service, order expiry, agent 000, alerts.json tailer) plus what a fleet needs: the enrollment
 * password, the PKI, and HTTPS (REST API + /enroll + /link). Everything started here is stopped by
 * `stop()`, in reverse order.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DaemonLog } from '../log/daemon-log.js';
import type { AlertsTailer } from '../ingest/alerts-file-tailer.js';
import { createLinkServer, type LinkServer } from '../link/link-server.js';
import { ensureManagerPki, type ManagerPki } from '../pki/pki.js';
import { Enrollment } from '../manager/enrollment.js';
import { EnrollLimiter, type EnrollLimits } from '../manager/enroll-limiter.js';
import type { ConnectionLimits } from '../core/net/connection-quota.js';
import { createManagerService } from '../manager/manager-core.js';
import {
  openManagerHost,
  startLocalAgent,
  startScheduler,
  startTailer,
  type LocalAgent,
  type ManagerHost,
  type ManagerHostOptions,
} from './manager-host.js';
import type { CreateManagerApi, ManagerApiHandle, ManagerService } from '../manager/manager-service.js';
import {
  createClusterNode,
  LOCAL_AGENT_REFUSED,
  shareEnrollment,
  type ClusterNode,
  type ClusterOptions,
} from './cluster-node.js';
import { managerStoreTarget } from '../store/create-manager-store.js';
import { ErrorCode, RiposteError } from '../protocol/error-codes.js';
import { Opened } from './opened.js';

export interface ManagerRuntimeOptions extends ManagerHostOptions {
  /** One node of a cluster on a PostgreSQL store (docs/scale-out.md). */
  readonly cluster?: ClusterOptions;
  /** HTTPS address. @default 127.0.0.1:1515 */
  readonly listen?: { readonly host: string; readonly port: number };
  /** Run the in-process agent 000 (location=server). @default true */
  readonly localAgent?: boolean;
  /** The REST layer; without it only /enroll and /link are served. */
  readonly createApi?: CreateManagerApi;
  /** How long the REST layer keeps its audit entries, ms. @default its own (365 days) */
  readonly auditHistoryMs?: number;
  /** Failed-enrollment limits per source address. @default DEFAULT_ENROLL_LIMITS */
  readonly enrollLimits?: EnrollLimits;
  /** Connections without an agent certificate on the TLS port (link/connection-quota.ts). */
  readonly connectionLimits?: ConnectionLimits;
  /** Link heartbeat period / dead-peer limit, ms. @default 10000 / 30000 */
  readonly heartbeatMs?: number;
  readonly deadAfterMs?: number;
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

/** A shared (PostgreSQL) store with agent 000 on: refused (LOCAL_AGENT_REFUSED says why). */
function refuseLocalAgentOnSharedStore(opts: ManagerRuntimeOptions): void {
  const url = opts.cluster?.storeUrl ?? opts.storeUrl;
  if (url !== undefined && managerStoreTarget(url).kind === 'postgres' && opts.localAgent !== false) {
    throw new RiposteError(ErrorCode.CONFIG_INVALID, `--store: the PostgreSQL store ${LOCAL_AGENT_REFUSED}`);
  }
}

function clusterNodeOf(opts: ManagerRuntimeOptions): ClusterNode | undefined {
  return opts.cluster !== undefined ? createClusterNode(opts.cluster, opts.heartbeatMs ?? 10_000) : undefined;
}

/**
 * The REST layer, when asked for; a cluster node's keeps tokens and audit in the shared store and
 * prunes that audit trail only while it holds the timers' lease.
 */
function createApi(
  opts: ManagerRuntimeOptions,
  service: ManagerService,
  home: string,
  cluster: ClusterNode | undefined,
): Promise<ManagerApiHandle | undefined> {
  const storeUrl = opts.cluster?.storeUrl;
  return opts.createApi
    ? opts.createApi({
        service,
        home,
        ...(storeUrl !== undefined ? { storeUrl } : {}),
        ...(cluster !== undefined
          ? { isLeader: () => cluster.hooks.isLeader(), now: cluster.hooks.now }
          : {}),
        ...(opts.auditHistoryMs !== undefined ? { auditHistoryMs: opts.auditHistoryMs } : {}),
      })
    : Promise.resolve(undefined);
}

/**
 * Starts the manager. If a step fails after the store was opened (the bus or NATS refuses it, the
 * port is taken, ...), what was opened is closed again before the error is thrown, so a failed
 * start leaves nothing running: the CLI's process then ends with the error's exit code.
 * @throws RiposteError CONFIG_* when ossec.conf cannot be used; CONFIG_INVALID when its address
 * cannot be listened on (in use, not on this host, a privileged port: net/listen-server.ts).
 */
export async function startManagerRuntime(opts: ManagerRuntimeOptions): Promise<ManagerRuntime> {
  refuseLocalAgentOnSharedStore(opts);
  const cluster = clusterNodeOf(opts);
  // A cluster node's store is the cluster's PostgreSQL (shared by every node).
  const hostOpts = opts.cluster !== undefined ? { ...opts, storeUrl: opts.cluster.storeUrl } : opts;
  const host = await openManagerHost(hostOpts, false, 'riposte-manager', cluster?.hooks);
  const opened = new Opened(host.log);
  opened.add(() => host.store.close());
  return opened.guard(() => startOnHost(opts, host, cluster, opened));
}

async function startOnHost(
  opts: ManagerRuntimeOptions,
  host: ManagerHost,
  cluster: ClusterNode | undefined,
  opened: Opened,
): Promise<ManagerRuntime> {
  const { home, log, ctx } = host;
  const passwordFile = join(home, 'etc', 'authd.pass');
  if (opts.cluster !== undefined) {
    await shareEnrollment({
      storeUrl: opts.cluster.storeUrl,
      store: host.store,
      pkiDir: join(home, 'etc', 'pki'),
      passwordFile,
      log,
    });
  }
  ensurePassword(passwordFile, log);
  const pki = await ensureManagerPki(join(home, 'etc', 'pki'), Date.now(), opts.listen?.host);
  const enrollment = new Enrollment(ctx, pki, passwordFile, new EnrollLimiter(opts.enrollLimits));
  const service = createManagerService({
    ctx,
    enrollment,
    listeners: host.listeners,
    startedAt: Date.now(),
    linkBacklog: () => host.handler.backlog(),
  });
  const server = linkServerOf(opts, host, pki, service);
  opened.add(() => server.close());
  const api = await createApi(opts, service, home, cluster);
  opened.add(() => api?.close());
  server.setApi(api);
  opened.add(() => cluster?.stop()); // a partial start too: its lease, its bus
  // Before listening: the cluster's clock read once, so nothing is stamped by this host's own.
  await cluster?.startClock(log);
  const listen = opts.listen ?? { host: '127.0.0.1', port: 1515 };
  const address = await server.listen(listen.host, listen.port);
  await cluster?.attach(ctx);
  const scheduler = startScheduler(opts, host);
  opened.add(() => {
    scheduler.stop();
  });
  const local = await startLocal(opts, host, opened);
  const tailer =
    opts.alertsFile !== undefined
      ? await startTailer({ ...opts, alertsFile: opts.alertsFile }, host, service)
      : undefined;
  log.info(
    `Manager listening on https://${listen.host}:${address.port} (CA fingerprint ${pki.caFingerprint}).`,
  );
  return {
    service,
    address,
    pki,
    home,
    passwordFile,
    api,
    stop: () => stopAll({ tailer, scheduler, local, api, server, cluster, host, log }),
  };
}

/** Agent 000 in this process, unless `localAgent` is false; closed again if a later step fails. */
async function startLocal(
  opts: ManagerRuntimeOptions,
  host: ManagerHost,
  opened: Opened,
): Promise<LocalAgent | undefined> {
  if (opts.localAgent === false) {
    return undefined;
  }
  const local = await startLocalAgent(opts, host);
  opened.add(async () => {
    local.link.close();
    await local.runtime.stop();
  });
  return local;
}

function linkServerOf(
  opts: ManagerRuntimeOptions,
  host: ManagerHost,
  pki: ManagerPki,
  service: ManagerService,
): LinkServer {
  return createLinkServer({
    pki,
    handler: host.handler,
    enroll: (req, peer) => service.enroll(req, peer),
    log: host.log,
    ...(opts.heartbeatMs !== undefined ? { heartbeatMs: opts.heartbeatMs } : {}),
    ...(opts.deadAfterMs !== undefined ? { deadAfterMs: opts.deadAfterMs } : {}),
    ...(opts.connectionLimits !== undefined ? { connectionLimits: opts.connectionLimits } : {}),
  });
}

interface Parts {
  readonly tailer: AlertsTailer | undefined;
  readonly scheduler: { stop(): void };
  readonly local: LocalAgent | undefined;
  readonly api: ManagerApiHandle | undefined;
  readonly server: LinkServer;
  readonly cluster: ClusterNode | undefined;
  /** Its link handler is drained, then its store closed. */
  readonly host: { readonly handler: { drain(): Promise<void> }; readonly store: { close(): Promise<void> } };
  readonly log: DaemonLog;
}

async function stopAll(p: Parts): Promise<void> {
  await p.tailer?.stop();
  p.scheduler.stop();
  p.local?.link.close();
  await p.local?.runtime.stop();
  await p.server.close();
  await p.api?.close();
  // Frames and disconnections received before the link closed are written before the store closes.
  await p.host.handler.drain();
  await p.cluster?.stop();
  await p.host.store.close();
  p.log.info('Manager stopped.');
  p.log.flush();
}
