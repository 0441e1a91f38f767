/**
 * What the manager's REST routes depend on, passed to each route module's `register`.
 */
import type { DaemonLog } from '../log/daemon-log.js';
import type { ManagerMetrics } from '../manager/metrics.js';
import type { ManagerService } from '../manager/manager-service.js';
import type { ApiTokenStore } from '../core/api-access-store.js';
import type { AuditLog } from '../core/api-access-store.js';
import type { AuditRetention } from './audit-pruner.js';
import type { AnonymousAuditLimits } from './anonymous-audit-limit.js';

export interface ManagerApiDeps {
  readonly service: ManagerService;
  readonly tokens: ApiTokenStore;
  readonly audit: AuditLog;
  /** How long audit entries are kept (audit-pruner.ts). Absent: kept for ever. */
  readonly auditRetention?: AuditRetention;
  /**
   * On a cluster node: whether it holds the timers' lease now; only then does it prune the shared
   * audit trail (audit-pruner.ts). Absent: a single manager, always.
   */
  readonly isLeader?: () => boolean;
  /**
   * On a cluster node: how old (ms) the in-memory active list may be before a request reads it
   * again from the shared store (read-models.ts). Absent: a single manager, kept by its events.
   */
  readonly activeRefreshMs?: number;
  /**
   * On a cluster node: how often (ms) an open execution feed reads the executions every node stored
   * (store-execution-feed.ts). Absent: a single manager, whose feed is its own events.
   */
  readonly feedPollMs?: number;
  /**
   * Period (ms) of an execution feed's heartbeat, before each of which it re-checks its caller's
   * credentials (routes/execution-stream.ts). @default HEARTBEAT_MS (15 s); shorter in tests.
   */
  readonly feedHeartbeatMs?: number;
  /** How many refused requests without a valid token are audited one by one. @default DEFAULT_ANONYMOUS_AUDIT_LIMITS */
  readonly anonymousAuditLimits?: AnonymousAuditLimits;
  readonly metrics: ManagerMetrics;
  /** The clock (epoch ms); token expiry, audit times and token creation read it. */
  readonly now: () => number;
  /**
   * The manager's home: `GET /rules/check` also checks the executables in its active-response/bin
   * (when that directory exists: a manager whose scripts live on the agents has none).
   */
  readonly home?: string;
  /** Where unexpected errors are logged. @default a log that drops everything */
  readonly log?: DaemonLog;
}
