/**
 * Builds the REST API over the fake service, a fresh in-memory SQLite token store and audit log,
 * a fake clock, and one token per role.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildManagerApi } from '../../src/manager-api/build-manager-api.js';
import type { AuditRetention } from '../../src/manager-api/audit-pruner.js';
import { type Role } from '../../src/protocol/api-access.js';
import { mintApiToken } from '../../src/manager-api/api-tokens.js';
import { ManagerMetrics } from '../../src/manager/metrics.js';
import { openSqliteApiStore, type SqliteApiStore } from '../../src/store/sqlite-api-tokens.js';
import { FakeManagerService } from './fake-manager-service.js';
import type { ApiTokenStore } from '../../src/core/api-access-store.js';
import type { AnonymousAuditLimits } from '../../src/manager-api/anonymous-audit-limit.js';
import type { DaemonLog } from '../../src/log/daemon-log.js';

export interface ApiFixture {
  readonly app: FastifyInstance;
  readonly service: FakeManagerService;
  readonly store: SqliteApiStore;
  readonly metrics: ManagerMetrics;
  readonly tokens: Readonly<Record<Role, string>>;
  /** The fake clock (epoch ms); tests move it. */
  clock: { now: number };
  /** `Authorization` header for a role. */
  auth(role: Role): Record<string, string>;
  close(): Promise<void>;
}

/**
 * `auditRetention`: the API prunes its audit trail (audit-pruner.ts); absent, it keeps it.
 * `tokensFor`: the token store the API reads, made from the fixture's (a slow one, say).
 * `anonymousAuditLimits`, `log`, `activeRefreshMs`, `feedHeartbeatMs`: passed to the API as they
 * are.
 */
export async function apiFixture(
  opts: {
    auditRetention?: AuditRetention;
    tokensFor?: (t: ApiTokenStore) => ApiTokenStore;
    anonymousAuditLimits?: AnonymousAuditLimits;
    log?: DaemonLog;
    activeRefreshMs?: number;
    feedHeartbeatMs?: number;
  } = {},
): Promise<ApiFixture> {
  const service = new FakeManagerService();
  const store = openSqliteApiStore(':memory:');
  const metrics = new ManagerMetrics();
  const detach = metrics.attach(service);
  const clock = { now: 1_700_000_000_000 };
  const mint = async (role: Role): Promise<string> =>
    (await mintApiToken(store.tokens, { name: `${role}-token`, role, now: clock.now })).token;
  const tokens = { read: await mint('read'), operator: await mint('operator'), admin: await mint('admin') };
  const app = buildManagerApi({
    service,
    tokens: opts.tokensFor?.(store.tokens) ?? store.tokens,
    audit: store.audit,
    metrics,
    now: () => clock.now,
    ...(opts.auditRetention !== undefined ? { auditRetention: opts.auditRetention } : {}),
    ...(opts.anonymousAuditLimits !== undefined ? { anonymousAuditLimits: opts.anonymousAuditLimits } : {}),
    ...(opts.log !== undefined ? { log: opts.log } : {}),
    ...(opts.activeRefreshMs !== undefined ? { activeRefreshMs: opts.activeRefreshMs } : {}),
    ...(opts.feedHeartbeatMs !== undefined ? { feedHeartbeatMs: opts.feedHeartbeatMs } : {}),
  });
  await app.ready();
  return {
    app,
    service,
    store,
    metrics,
    tokens,
    clock,
    auth: (role) => ({ authorization: `Bearer ${tokens[role]}` }),
    close: async () => {
      detach();
      await app.close();
      store.close();
    },
  };
}

/**
 * The API of `f` on a real loopback socket (streams, and clients that leave, need one); its
 * connections and the server are closed once `fn` ends.
 */
export async function served(
  f: ApiFixture,
  fn: (port: number, server: http.Server) => Promise<void>,
): Promise<void> {
  const server = http.createServer((req, res) => {
    f.app.routing(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await fn((server.address() as AddressInfo).port, server);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
