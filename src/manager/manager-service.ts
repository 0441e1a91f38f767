/**
 * The manager's application service: the only entry point the REST API, the CLI (through the
 * API) and the alert tailer use. Asynchronous, like the store port under it. Routes parse, call one method and map `RiposteError` codes; no
 * policy lives in them.
 *
 * Implemented by `manager-core.ts`; created by `startManagerRuntime` (manager-runtime.ts), which
 * also owns the HTTPS server (one port for the REST API, `POST /enroll` and `wss:///link`).
 *
 * Contract for the REST layer (src/manager-api):
 * - export a {@link CreateManagerApi} function; the runtime calls it once and sends every HTTPS
 *   request to `handle`, EXCEPT `POST /enroll` and the `/link` WebSocket upgrade, which the link
 *   layer serves itself (document both in the OpenAPI file; `enroll` is also exposed here).
 * - the server certificate is issued by the manager's own CA: clients trust `<home>/etc/pki/ca.pem`.
 */
import type { BusTraffic } from '../cluster/bus-routes.js';
import type { ClockStatus } from '../cluster/cluster-clock.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ExecutionStatus } from '../protocol/execution-records.js';
import type {
  ActiveFilter,
  AgentInfo,
  AgentStatus,
  EnrollRequest,
  EnrollResult,
  ExecutionFilter,
  FleetActiveResponse,
  FleetExecution,
  IngestSummary,
  OrderFilter,
  OrderInfo,
  OrderState,
  RunRequest,
} from '../protocol/fleet-records.js';
import type { WazuhArErrorCode, WazuhResult } from '../core/orders/wazuh-result.js';
import type { Config } from '../core/config-model.js';
import type { RuleDecision } from '../core/match/decision.js';
import type { AlertView } from '../protocol/alert.js';
import type {
  EnrollTokenRecord,
  ExecutionPage,
  ExecutionQuery,
  MinuteCount,
  RecentAlert,
  NumberedExecution,
} from '../core/orders/manager-console-store.js';

/** Wazuh's AffectedItemsWazuhResult shape for `PUT /active-response` (defined once, in core/orders). */
export type WazuhErrorCode = WazuhArErrorCode;

/** A named value committed with a batch's orders (the alerts.json tail position). */
export interface IngestCheckpoint {
  readonly key: string;
  readonly value: string;
  /**
   * How the log and the summary's errors name line i of the batch: the alerts.json tailer names
   * the file and the line's offset there. @default `line ${i + 1}` (a POST's body)
   */
  readonly lineLabel?: (i: number) => string;
}
export type WazuhStyleResult = WazuhResult;

/** `explain`'s answer for one alert: a verdict per AR rule, with the fleet's agents as known now. */
export interface ExplainResult {
  readonly alert: AlertView;
  readonly decisions: readonly RuleDecision[];
}

/** The agents' frames waiting for the store on this node, and the backpressure on them (read-pauses.ts). */
export interface LinkBacklog {
  readonly frames: number;
  /** Bytes of frame text. */
  readonly bytes: number;
  /** Agents not being read now. */
  readonly pausedAgents: number;
  /** Times an agent stopped being read, since the manager started. */
  readonly pauses: number;
}

/** Counts for the Prometheus gauges, read at scrape time. */
export interface ManagerStats {
  readonly agentsByStatus: Readonly<Record<AgentStatus, number>>;
  readonly ordersByState: Readonly<Record<OrderState, number>>;
  readonly activeResponses: number;
  readonly connectedAgents: number;
  readonly linkBacklog: LinkBacklog;
  /** A cluster node's order bus traffic (absent on a single manager, and before the bus is up). */
  readonly bus?: BusTraffic;
  /** A cluster node's clock against the cluster's (absent on a single manager, and before its first reading). */
  readonly clock?: ClockStatus;
}

/** Events for counters and histograms (metrics); listeners must not throw. */
export type ManagerEvent =
  | { readonly type: 'alert-ingested'; readonly count: number }
  /** `count` orders of AR command `command` queued (an ingest batch emits one per command). */
  | { readonly type: 'response-fired'; readonly command: string; readonly count: number }
  | {
      readonly type: 'order-state';
      readonly agentId: string;
      readonly seq: number;
      readonly state: OrderState;
    }
  | {
      readonly type: 'execution';
      readonly agentId: string;
      readonly status: ExecutionStatus;
      /** The execution as stored (the live feed `GET /executions/stream` sends it). */
      readonly execution: FleetExecution;
    }
  /** ms from the alert's ingestion (or the API call) to the agent's ack of the order. */
  | { readonly type: 'dispatch-latency'; readonly agentId: string; readonly ms: number }
  | { readonly type: 'agent-connection'; readonly agentId: string; readonly connected: boolean }
  /** An agent's active response was added or repeated (`put`) or is gone (`removedKey`); after the store write. */
  | {
      readonly type: 'active';
      readonly agentId: string;
      readonly put?: FleetActiveResponse;
      readonly removedKey?: string;
    }
  /** A history prune deleted this many settled orders and execution reports (order-scheduler.ts). */
  | { readonly type: 'history-pruned'; readonly orders: number; readonly executions: number }
  /** An agent's whole active list was replaced (reconcile after a reconnect); after the store write. */
  | {
      readonly type: 'active-list';
      readonly agentId: string;
      readonly items: readonly FleetActiveResponse[];
    };

export type ManagerEventListener = (event: ManagerEvent) => void;

export interface ManagerService {
  /** Parses, matches and dispatches `alerts.json` lines (one alert per line). Never throws. */
  /**
   * The batch's orders and `checkpoint` (the alerts.json tailer's position) commit in one
   * transaction, so a crash neither replays nor skips an alert.
   */
  ingestAlerts(lines: readonly string[], checkpoint?: IngestCheckpoint): Promise<IngestSummary>;
  listAgents(): Promise<AgentInfo[]>;
  /** @throws RiposteError AGENT_NOT_FOUND */
  getAgent(id: string): Promise<AgentInfo>;
  /**
   * A one-time enrollment token for `name`, stored hashed; `ttlMs` from now.
   * @throws RiposteError REQUEST_INVALID (bad name or ttl)
   */
  addEnrollmentToken(name: string, ttlMs: number): Promise<{ token: string; expiresAt: number }>;
  /**
   * Enrolls an agent: assigns the next id and issues its certificate.
   * @throws RiposteError AUTH_REQUIRED (no password/token), AUTH_FORBIDDEN (wrong password, used
   *   or expired token), REQUEST_INVALID (bad or duplicate name)
   */
  enroll(req: EnrollRequest, peerAddress: string): Promise<EnrollResult>;
  /** Marks the agent removed and disconnects it; its certificate is refused from now on. @throws AGENT_NOT_FOUND */
  removeAgent(id: string): Promise<void>;
  listActive(filter: ActiveFilter): Promise<FleetActiveResponse[]>;
  /**
   * Queues a revert order for `key` on `agentId`, or on every agent where it is active.
   * @throws RiposteError RESPONSE_NOT_FOUND, AGENT_NOT_FOUND
   */
  revert(key: string, agentId?: string): Promise<OrderInfo[]>;
  /** Wazuh's `PUT /active-response`; per-agent failures are in the result, never thrown. */
  run(req: RunRequest): Promise<WazuhStyleResult>;
  listExecutions(filter: ExecutionFilter): Promise<FleetExecution[]>;
  listOrders(filter: OrderFilter): Promise<OrderInfo[]>;
  stats(): Promise<ManagerStats>;
  /**
   * What one alert line would fire (the dispatch planner's verdicts); nothing is dispatched.
   * @throws RiposteError ALERT_INVALID when the line is not an alert
   */
  explain(alertLine: string): Promise<ExplainResult>;
  /** The loaded, frozen configuration (rules, commands, white list, load warnings). */
  config(): Config;
  /** Enrollment tokens (used and expired included, never the token), newest first. */
  listEnrollmentTokens(): Promise<EnrollTokenRecord[]>;
  /** Removes an enrollment token; returns what it was. @throws RiposteError REQUEST_INVALID (no such token) */
  removeEnrollmentToken(id: string): Promise<EnrollTokenRecord>;
  /** Executions matching the filters over the whole history, one cursor page, newest first. */
  queryExecutions(query: ExecutionQuery): Promise<ExecutionPage>;
  /** Executions received in [since, until) per minute and outcome (from the store). */
  countExecutionsPerMinute(since: number, until: number): Promise<MinuteCount[]>;
  /** The most recently received failed executions over the whole history (at most `limit`). */
  recentFailures(limit: number): Promise<FleetExecution[]>;
  /** Each agent's most recently received failed execution. */
  lastFailurePerAgent(): Promise<FleetExecution[]>;
  /** Executions numbered above `after` or in `also`, in number order (ManagerConsoleStore.executionsAfter). */
  executionsAfter(after: number, also: readonly number[], limit: number): Promise<NumberedExecution[]>;
  /** The highest execution number stored; 0 when there is none. */
  lastExecutionNumber(): Promise<number>;
  /** Distinct alerts that recently caused orders, newest first (at most 50). */
  recentAlerts(limit: number): Promise<RecentAlert[]>;
  /** Subscribes to events; returns the unsubscribe function. */
  onEvent(listener: ManagerEventListener): () => void;
}

/** What the REST layer returns to the runtime. */
export interface ManagerApiHandle {
  /** Serves one request (every path except `POST /enroll` and `/link`). */
  handle(req: IncomingMessage, res: ServerResponse): void;
  close(): Promise<void>;
}

export interface ManagerApiContext {
  readonly service: ManagerService;
  readonly home: string;
  /**
   * Where the first admin token is written. @default `<home>/var/admin.token`; `riposte start`
   * uses `<home>/var/api.token`, beside its API socket.
   */
  readonly adminTokenFile?: string;
  /** A cluster node's PostgreSQL store (postgres://...): API tokens and audit are kept there. */
  readonly storeUrl?: string;
  /** How long API audit entries are kept, ms. @default 365 days (core/audit-retention.ts) */
  readonly auditHistoryMs?: number;
  /**
   * A cluster node's timers' lease (runtime/cluster-node.ts): whether this node holds it now. The
   * shared audit trail is pruned by the lease holder only. Absent: a single manager, always.
   */
  readonly isLeader?: () => boolean;
  /**
   * A cluster node's clock (the database's: cluster/cluster-clock.ts), for token expiry and audit
   * times shared by every node. Absent: the host's clock.
   */
  readonly now?: () => number;
}

/** Implemented by src/manager-api; called once by the runtime. */
export type CreateManagerApi = (ctx: ManagerApiContext) => Promise<ManagerApiHandle>;
