/**
 * The runtime's entry to the REST layer (`CreateManagerApi` in manager/manager-service.ts): opens
 * the token store and audit trail at `<home>/var/api.db` (in the shared PostgreSQL store on a
 * cluster node), makes sure an admin token exists (first
 * start: written to `<home>/var/admin.token`, mode 0600), attaches the Prometheus metrics to the
 * service and returns a request handler for the runtime's HTTPS server.
 */
import path from 'node:path';
import { openDaemonLog } from '../log/daemon-log.js';
import type { CreateManagerApi, ManagerApiHandle } from '../manager/manager-service.js';
import { ManagerMetrics } from '../manager/metrics.js';
import { openSqliteApiStore } from '../store/sqlite-api-tokens.js';
import { openPgApiStore } from '../store/pg-api-store.js';
import type { ApiAccessStore } from '../core/api-access-store.js';
import { DEFAULT_AUDIT_HISTORY_MS } from '../core/audit-retention.js';
import { ensureAdminToken } from './api-tokens.js';
import { buildManagerApi } from './build-manager-api.js';

/** How old the active list may be on a node sharing its store (read-models.ts). */
export const CLUSTER_ACTIVE_REFRESH_MS = 2_000;
/** How often an open execution feed reads the store on a node sharing it (store-execution-feed.ts). */
export const CLUSTER_FEED_POLL_MS = 1_000;

/** `<home>/var/api.db`: API tokens (hashed) and the audit trail. */
export const apiDbPath = (home: string): string => path.join(home, 'var', 'api.db');
/** `<home>/var/admin.token`: the first admin token, written once (0600). */
export const adminTokenPath = (home: string): string => path.join(home, 'var', 'admin.token');

/** The handle, plus the metrics so the runtime (or the benchmark) can read them. */
export interface ManagerApiRuntimeHandle extends ManagerApiHandle {
  readonly metrics: ManagerMetrics;
}

export const createManagerApi: CreateManagerApi = async (ctx): Promise<ManagerApiRuntimeHandle> => {
  // A cluster node keeps tokens and audit in the shared PostgreSQL store: a token works on every node.
  const store: ApiAccessStore =
    ctx.storeUrl !== undefined ? await openPgApiStore(ctx.storeUrl) : openSqliteApiStore(apiDbPath(ctx.home));
  const log = openDaemonLog(ctx.home, 'info', 'manager-api');
  const tokenFile = ctx.adminTokenFile ?? adminTokenPath(ctx.home);
  const now = ctx.now ?? Date.now;
  if ((await ensureAdminToken(store.tokens, tokenFile, now())) !== undefined) {
    log.info('first admin API token written', { file: tokenFile });
  }
  const metrics = new ManagerMetrics();
  const detach = metrics.attach(ctx.service);
  const app = buildManagerApi({
    service: ctx.service,
    tokens: store.tokens,
    audit: store.audit,
    auditRetention: { keepMs: ctx.auditHistoryMs ?? DEFAULT_AUDIT_HISTORY_MS },
    ...(ctx.isLeader !== undefined ? { isLeader: ctx.isLeader } : {}),
    // A PostgreSQL store may be shared with other nodes: their agents' reports (active lists,
    // executions) reach this one only through it.
    ...(ctx.storeUrl !== undefined
      ? { activeRefreshMs: CLUSTER_ACTIVE_REFRESH_MS, feedPollMs: CLUSTER_FEED_POLL_MS }
      : {}),
    metrics,
    now,
    home: ctx.home,
    log,
  });
  await app.ready();
  return {
    metrics,
    handle: (req, res) => {
      app.routing(req, res);
    },
    close: async () => {
      detach();
      await app.close();
      await store.close();
      log.flush();
    },
  };
};
